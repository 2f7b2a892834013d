//! The property tables of every STIX 2.1 object type: what each property holds and which are
//! required. The validator in [`crate::validate`] walks these tables; rules that tie several
//! properties together live there as code.

use rstix::vocab as v;

/// A vocabulary set (open or closed), as rstix publishes them.
pub type Vocab = phf::Set<&'static str>;

/// What a property holds.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    Bool,
    /// Integer with inclusive bounds.
    Int(i64, i64),
    /// Number with inclusive bounds.
    Float(f64, f64),
    Timestamp,
    /// Identifier of one of these object types; see [`ref_class`] for the class names
    /// (`"<sdo>"`, `"<sco>"`, `"<any>"`).
    Ref(&'static [&'static str]),
    /// Non-empty list of the inner type.
    List(&'static Ty),
    /// Dictionary (free values) with key-form rules.
    Dict,
    /// Dictionary of hash algorithm to hash value.
    Hashes,
    /// Open vocabulary: other values are allowed but draw a warning.
    Open(&'static Vocab),
    /// Closed vocabulary (enumeration): other values are errors.
    Enum(&'static [&'static str]),
    /// Open vocabulary given as a list (pacto's own vocabularies): other values draw a warning.
    OpenList(&'static [&'static str]),
    /// An ISO 3166-1 alpha-2 country code (a SHOULD: other values draw a warning).
    Country,
    /// Closed vocabulary taken from rstix.
    EnumSet(&'static Vocab),
    /// Base64 binary.
    Binary,
    /// Hexadecimal string.
    Hex,
    /// Nested object with its own property table.
    Obj(&'static Table),
    KillChainPhase,
    ExternalReference,
    GranularMarking,
    /// The `extensions` dictionary.
    Extensions,
    /// An RFC 5646 language tag.
    Lang,
    /// A dictionary whose values all have this type.
    DictOf(&'static Ty),
    /// An integer or a string.
    IntOrStr,
    /// An IANA character set name (the `*_enc` properties).
    Charset,
    /// Anything (deprecated or free-form properties).
    Any,
}

/// A property of a type: its name, what it holds, and whether it is required.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
}

const fn o(name: &'static str, ty: Ty) -> Prop {
    Prop { name, ty, required: false }
}
const fn r(name: &'static str, ty: Ty) -> Prop {
    Prop { name, ty, required: true }
}

/// A set of properties (an object type's own, or a nested type's).
#[derive(Debug)]
pub struct Table {
    pub props: &'static [Prop],
}

impl Table {
    pub fn get(&self, name: &str) -> Option<&'static Prop> {
        self.props.iter().find(|p| p.name == name)
    }
}

/// Which family an object type belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sdo,
    Sro,
    Sco,
    /// marking-definition, language-content, extension-definition.
    Meta,
}

/// A built-in object type.
#[derive(Debug)]
pub struct TypeDef {
    pub name: &'static str,
    pub kind: Kind,
    pub table: Table,
}

// Closed vocabularies as STIX 2.1 §10 lists them. (rstix 0.23's tables for these differ from
// the spec: they add AF_UNIX/AF_PACKET, "untrusted", two service types and a start type, lack
// SOCK_RDM/SOCK_SEQPACKET and REG_INVALID_TYPE, and misspell REG_FULL_RESOURCE_DESCRIPTION.)
pub const ADDRESS_FAMILY_ENUM: &[&str] =
    &["AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH"];
pub const SOCKET_TYPE_ENUM: &[&str] = &["SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"];
pub const INTEGRITY_LEVEL_ENUM: &[&str] = &["low", "medium", "high", "system"];
pub const SERVICE_START_TYPE_ENUM: &[&str] =
    &["SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT"];
pub const SERVICE_TYPE_ENUM: &[&str] = &[
    "SERVICE_KERNEL_DRIVER",
    "SERVICE_FILE_SYSTEM_DRIVER",
    "SERVICE_WIN32_OWN_PROCESS",
    "SERVICE_WIN32_SHARE_PROCESS",
];
pub const SERVICE_STATUS_ENUM: &[&str] = &[
    "SERVICE_CONTINUE_PENDING",
    "SERVICE_PAUSE_PENDING",
    "SERVICE_PAUSED",
    "SERVICE_RUNNING",
    "SERVICE_START_PENDING",
    "SERVICE_STOP_PENDING",
    "SERVICE_STOPPED",
];
pub const REGISTRY_DATATYPE_ENUM: &[&str] = &[
    "REG_NONE",
    "REG_SZ",
    "REG_EXPAND_SZ",
    "REG_BINARY",
    "REG_DWORD",
    "REG_DWORD_BIG_ENDIAN",
    "REG_DWORD_LITTLE_ENDIAN",
    "REG_LINK",
    "REG_MULTI_SZ",
    "REG_RESOURCE_LIST",
    "REG_FULL_RESOURCE_DESCRIPTION",
    "REG_RESOURCE_REQUIREMENTS_LIST",
    "REG_QWORD",
    "REG_INVALID_TYPE",
];

/// Property names STIX 2.1 reserves (§3.8): no object may use them.
pub const RESERVED_PROPERTY_NAMES: &[&str] = &["severity", "action", "username", "phone_number", "phone_numbers"];

/// The ID-contributing properties of each SCO type (§6); `process` has none.
pub fn id_contributing(ty: &str) -> Option<&'static [&'static str]> {
    Some(match ty {
        "artifact" => &["hashes", "payload_bin"],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url" => &["value"],
        "email-message" => &["from_ref", "subject", "body"],
        "file" => &["hashes", "name", "extensions", "parent_directory_ref"],
        "mutex" => &["name"],
        "network-traffic" => &["start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"],
        "process" => &[],
        "software" => &["name", "cpe", "swid", "vendor", "version"],
        "user-account" => &["account_type", "user_id", "account_login"],
        "windows-registry-key" => &["key", "values"],
        "x509-certificate" => &["hashes", "serial_number"],
        // pacto's extension; canonical forms, and only both together (crate::firearm).
        "x-firearm" => &["manufacturer", "serial_number"],
        _ => return None,
    })
}

const STR_LIST: Ty = Ty::List(&Ty::Str);
const TS: Ty = Ty::Timestamp;
const ANY_REFS: Ty = Ty::List(&Ty::Ref(&["<any>"]));
const KCP: Ty = Ty::List(&Ty::KillChainPhase);
const SOFTWARE_REF: Ty = Ty::Ref(&["software"]);
const NON_NEG: Ty = Ty::Int(0, i64::MAX);
const PORT: Ty = Ty::Int(0, 65535);

/// Properties common to SDOs, SROs, language-content and extension-definition (§3.2).
pub static SDO_COMMON: Table = Table {
    props: &[
        r("type", Ty::Str),
        r("spec_version", Ty::Str),
        r("id", Ty::Str),
        o("created_by_ref", Ty::Ref(&["identity"])),
        r("created", TS),
        r("modified", TS),
        o("revoked", Ty::Bool),
        o("labels", STR_LIST),
        o("confidence", Ty::Int(0, 100)),
        o("lang", Ty::Lang),
        o("external_references", Ty::List(&Ty::ExternalReference)),
        o("object_marking_refs", Ty::List(&Ty::Ref(&["marking-definition"]))),
        o("granular_markings", Ty::List(&Ty::GranularMarking)),
        o("extensions", Ty::Extensions),
    ],
};

/// Properties common to SCOs (§3.2, §6).
pub static SCO_COMMON: Table = Table {
    props: &[
        r("type", Ty::Str),
        o("spec_version", Ty::Str),
        r("id", Ty::Str),
        o("object_marking_refs", Ty::List(&Ty::Ref(&["marking-definition"]))),
        o("granular_markings", Ty::List(&Ty::GranularMarking)),
        o("defanged", Ty::Bool),
        o("extensions", Ty::Extensions),
    ],
};

/// Properties of marking-definition (§7.2), which stands apart from the SDO common set.
pub static MARKING_COMMON: Table = Table {
    props: &[
        r("type", Ty::Str),
        r("spec_version", Ty::Str),
        r("id", Ty::Str),
        o("created_by_ref", Ty::Ref(&["identity"])),
        r("created", TS),
        o("external_references", Ty::List(&Ty::ExternalReference)),
        o("object_marking_refs", Ty::List(&Ty::Ref(&["marking-definition"]))),
        o("granular_markings", Ty::List(&Ty::GranularMarking)),
        o("extensions", Ty::Extensions),
        o("name", Ty::Str),
        o("definition_type", Ty::Str),
        o("definition", Ty::Any),
    ],
};

pub static KILL_CHAIN_PHASE: Table = Table { props: &[r("kill_chain_name", Ty::Str), r("phase_name", Ty::Str)] };

pub static EXTERNAL_REFERENCE: Table = Table {
    props: &[
        r("source_name", Ty::Str),
        o("description", Ty::Str),
        o("url", Ty::Str),
        o("hashes", Ty::Hashes),
        o("external_id", Ty::Str),
    ],
};

pub static GRANULAR_MARKING: Table = Table {
    props: &[o("lang", Ty::Str), o("marking_ref", Ty::Ref(&["marking-definition"])), r("selectors", STR_LIST)],
};

static MIME_PART: Table = Table {
    props: &[
        o("body", Ty::Str),
        o("body_raw_ref", Ty::Ref(&["artifact", "file"])),
        o("content_type", Ty::Str),
        o("content_disposition", Ty::Str),
    ],
};

static REGISTRY_VALUE: Table =
    Table { props: &[o("name", Ty::Str), o("data", Ty::Str), o("data_type", Ty::Enum(REGISTRY_DATATYPE_ENUM))] };

static X509_V3: Table = Table {
    props: &[
        o("basic_constraints", Ty::Str),
        o("name_constraints", Ty::Str),
        o("policy_constraints", Ty::Str),
        o("key_usage", Ty::Str),
        o("extended_key_usage", Ty::Str),
        o("subject_key_identifier", Ty::Str),
        o("authority_key_identifier", Ty::Str),
        o("subject_alternative_name", Ty::Str),
        o("issuer_alternative_name", Ty::Str),
        o("subject_directory_attributes", Ty::Str),
        o("crl_distribution_points", Ty::Str),
        o("inhibit_any_policy", Ty::Str),
        o("private_key_usage_period_not_before", TS),
        o("private_key_usage_period_not_after", TS),
        o("certificate_policies", Ty::Str),
        o("policy_mappings", Ty::Str),
    ],
};

static ALT_DATA_STREAM: Table = Table { props: &[r("name", Ty::Str), o("hashes", Ty::Hashes), o("size", NON_NEG)] };

static PE_SECTION: Table = Table {
    props: &[
        r("name", Ty::Str),
        o("size", NON_NEG),
        o("entropy", Ty::Float(f64::MIN, f64::MAX)),
        o("hashes", Ty::Hashes),
    ],
};

static PE_OPTIONAL_HEADER: Table = Table {
    props: &[
        o("magic_hex", Ty::Hex),
        o("major_linker_version", Ty::Int(i64::MIN, i64::MAX)),
        o("minor_linker_version", Ty::Int(i64::MIN, i64::MAX)),
        o("size_of_code", NON_NEG),
        o("size_of_initialized_data", NON_NEG),
        o("size_of_uninitialized_data", NON_NEG),
        o("address_of_entry_point", Ty::Int(i64::MIN, i64::MAX)),
        o("base_of_code", Ty::Int(i64::MIN, i64::MAX)),
        o("base_of_data", Ty::Int(i64::MIN, i64::MAX)),
        o("image_base", Ty::Int(i64::MIN, i64::MAX)),
        o("section_alignment", Ty::Int(i64::MIN, i64::MAX)),
        o("file_alignment", Ty::Int(i64::MIN, i64::MAX)),
        o("major_os_version", Ty::Int(i64::MIN, i64::MAX)),
        o("minor_os_version", Ty::Int(i64::MIN, i64::MAX)),
        o("major_image_version", Ty::Int(i64::MIN, i64::MAX)),
        o("minor_image_version", Ty::Int(i64::MIN, i64::MAX)),
        o("major_subsystem_version", Ty::Int(i64::MIN, i64::MAX)),
        o("minor_subsystem_version", Ty::Int(i64::MIN, i64::MAX)),
        o("win32_version_value_hex", Ty::Hex),
        o("size_of_image", NON_NEG),
        o("size_of_headers", NON_NEG),
        o("checksum_hex", Ty::Hex),
        o("subsystem_hex", Ty::Hex),
        o("dll_characteristics_hex", Ty::Hex),
        o("size_of_stack_reserve", NON_NEG),
        o("size_of_stack_commit", NON_NEG),
        o("size_of_heap_reserve", NON_NEG),
        o("size_of_heap_commit", NON_NEG),
        o("loader_flags_hex", Ty::Hex),
        o("number_of_rva_and_sizes", Ty::Int(i64::MIN, i64::MAX)),
        o("hashes", Ty::Hashes),
    ],
};

/// The predefined SCO extensions (§6), by the SCO type they extend.
pub static SCO_EXTENSIONS: &[(&str, &str, Table)] = &[
    (
        "file",
        "archive-ext",
        Table { props: &[r("contains_refs", Ty::List(&Ty::Ref(&["file", "directory"]))), o("comment", Ty::Str)] },
    ),
    (
        "file",
        "ntfs-ext",
        Table { props: &[o("sid", Ty::Str), o("alternate_data_streams", Ty::List(&Ty::Obj(&ALT_DATA_STREAM)))] },
    ),
    (
        "file",
        "pdf-ext",
        Table {
            props: &[
                o("version", Ty::Str),
                o("is_optimized", Ty::Bool),
                o("document_info_dict", Ty::Dict),
                o("pdfid0", Ty::Str),
                o("pdfid1", Ty::Str),
            ],
        },
    ),
    (
        "file",
        "raster-image-ext",
        Table {
            props: &[
                o("image_height", Ty::Int(i64::MIN, i64::MAX)),
                o("image_width", Ty::Int(i64::MIN, i64::MAX)),
                o("bits_per_pixel", Ty::Int(i64::MIN, i64::MAX)),
                o("exif_tags", Ty::Dict),
            ],
        },
    ),
    (
        "file",
        "windows-pebinary-ext",
        Table {
            props: &[
                r("pe_type", Ty::Open(&v::WINDOWS_PE_BINARY_TYPE_OV)),
                o("imphash", Ty::Str),
                o("machine_hex", Ty::Hex),
                o("number_of_sections", NON_NEG),
                o("time_date_stamp", TS),
                o("pointer_to_symbol_table_hex", Ty::Hex),
                o("number_of_symbols", NON_NEG),
                o("size_of_optional_header", NON_NEG),
                o("characteristics_hex", Ty::Hex),
                o("file_header_hashes", Ty::Hashes),
                o("optional_header", Ty::Obj(&PE_OPTIONAL_HEADER)),
                o("sections", Ty::List(&Ty::Obj(&PE_SECTION))),
            ],
        },
    ),
    (
        "network-traffic",
        "http-request-ext",
        Table {
            props: &[
                r("request_method", Ty::Str),
                r("request_value", Ty::Str),
                o("request_version", Ty::Str),
                o("request_header", Ty::DictOf(&STR_LIST)),
                o("message_body_length", NON_NEG),
                o("message_body_data_ref", Ty::Ref(&["artifact"])),
            ],
        },
    ),
    ("network-traffic", "icmp-ext", Table { props: &[r("icmp_type_hex", Ty::Hex), r("icmp_code_hex", Ty::Hex)] }),
    (
        "network-traffic",
        "socket-ext",
        Table {
            props: &[
                r("address_family", Ty::Enum(ADDRESS_FAMILY_ENUM)),
                o("is_blocking", Ty::Bool),
                o("is_listening", Ty::Bool),
                o("options", Ty::DictOf(&Ty::Int(i64::MIN, i64::MAX))),
                o("socket_type", Ty::Enum(SOCKET_TYPE_ENUM)),
                o("socket_descriptor", NON_NEG),
                o("socket_handle", Ty::Int(i64::MIN, i64::MAX)),
            ],
        },
    ),
    ("network-traffic", "tcp-ext", Table { props: &[o("src_flags_hex", Ty::Hex), o("dst_flags_hex", Ty::Hex)] }),
    (
        "process",
        "windows-process-ext",
        Table {
            props: &[
                o("aslr_enabled", Ty::Bool),
                o("dep_enabled", Ty::Bool),
                o("priority", Ty::Str),
                o("owner_sid", Ty::Str),
                o("window_title", Ty::Str),
                o("startup_info", Ty::Dict),
                o("integrity_level", Ty::Enum(INTEGRITY_LEVEL_ENUM)),
            ],
        },
    ),
    (
        "process",
        "windows-service-ext",
        Table {
            props: &[
                o("service_name", Ty::Str),
                o("descriptions", STR_LIST),
                o("display_name", Ty::Str),
                o("group_name", Ty::Str),
                o("start_type", Ty::Enum(SERVICE_START_TYPE_ENUM)),
                o("service_dll_refs", Ty::List(&Ty::Ref(&["file"]))),
                o("service_type", Ty::Enum(SERVICE_TYPE_ENUM)),
                o("service_status", Ty::Enum(SERVICE_STATUS_ENUM)),
            ],
        },
    ),
    (
        "user-account",
        "unix-account-ext",
        Table {
            props: &[
                o("gid", Ty::Int(i64::MIN, i64::MAX)),
                o("groups", STR_LIST),
                o("home_dir", Ty::Str),
                o("shell", Ty::Str),
            ],
        },
    ),
];

macro_rules! types {
    ($($name:literal $kind:ident [$($prop:expr),* $(,)?]),* $(,)?) => {
        /// Every built-in STIX 2.1 object type with its own (non-common) properties, and the
        /// types of the extensions pacto publishes (`x-firearm`).
        pub static TYPES: &[TypeDef] = &[
            $(TypeDef { name: $name, kind: Kind::$kind, table: Table { props: &[$($prop),*] } }),*
        ];
    };
}

types! {
    "attack-pattern" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("aliases", STR_LIST), o("kill_chain_phases", KCP)],
    "campaign" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("aliases", STR_LIST), o("first_seen", TS), o("last_seen", TS), o("objective", Ty::Str)],
    "course-of-action" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("action_type", Ty::Any), o("os_execution_envs", Ty::Any), o("action_bin", Ty::Any), o("action_reference", Ty::Any)],
    "grouping" Sdo [o("name", Ty::Str), o("description", Ty::Str), r("context", Ty::Open(&v::GROUPING_CONTEXT_OV)), r("object_refs", ANY_REFS)],
    "identity" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("roles", STR_LIST), o("identity_class", Ty::Open(&v::IDENTITY_CLASS_OV)), o("sectors", Ty::List(&Ty::Open(&v::INDUSTRY_SECTOR_OV))), o("contact_information", Ty::Str)],
    "incident" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("kill_chain_phases", KCP)],
    "indicator" Sdo [o("name", Ty::Str), o("description", Ty::Str), o("indicator_types", Ty::List(&Ty::Open(&v::INDICATOR_TYPE_OV))), r("pattern", Ty::Str), r("pattern_type", Ty::Open(&v::PATTERN_TYPE_OV)), o("pattern_version", Ty::Str), r("valid_from", TS), o("valid_until", TS), o("kill_chain_phases", KCP)],
    "infrastructure" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("infrastructure_types", Ty::List(&Ty::Open(&v::INFRASTRUCTURE_TYPE_OV))), o("aliases", STR_LIST), o("kill_chain_phases", KCP), o("first_seen", TS), o("last_seen", TS)],
    "intrusion-set" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("aliases", STR_LIST), o("first_seen", TS), o("last_seen", TS), o("goals", STR_LIST), o("resource_level", Ty::Open(&v::ATTACK_RESOURCE_LEVEL_OV)), o("primary_motivation", Ty::Open(&v::ATTACK_MOTIVATION_OV)), o("secondary_motivations", Ty::List(&Ty::Open(&v::ATTACK_MOTIVATION_OV)))],
    "location" Sdo [o("name", Ty::Str), o("description", Ty::Str), o("latitude", Ty::Float(-90.0, 90.0)), o("longitude", Ty::Float(-180.0, 180.0)), o("precision", Ty::Float(0.0, f64::MAX)), o("region", Ty::Open(&v::REGION_OV)), o("country", Ty::Str), o("administrative_area", Ty::Str), o("city", Ty::Str), o("street_address", Ty::Str), o("postal_code", Ty::Str)],
    "malware" Sdo [o("name", Ty::Str), o("description", Ty::Str), o("malware_types", Ty::List(&Ty::Open(&v::MALWARE_TYPE_OV))), r("is_family", Ty::Bool), o("aliases", STR_LIST), o("kill_chain_phases", KCP), o("first_seen", TS), o("last_seen", TS), o("operating_system_refs", Ty::List(&SOFTWARE_REF)), o("architecture_execution_envs", Ty::List(&Ty::Open(&v::PROCESSOR_ARCHITECTURE_OV))), o("implementation_languages", Ty::List(&Ty::Open(&v::IMPLEMENTATION_LANGUAGE_OV))), o("capabilities", Ty::List(&Ty::Open(&v::MALWARE_CAPABILITIES_OV))), o("sample_refs", Ty::List(&Ty::Ref(&["file", "artifact"])))],
    "malware-analysis" Sdo [r("product", Ty::Str), o("version", Ty::Str), o("host_vm_ref", SOFTWARE_REF), o("operating_system_ref", SOFTWARE_REF), o("installed_software_refs", Ty::List(&SOFTWARE_REF)), o("configuration_version", Ty::Str), o("modules", STR_LIST), o("analysis_engine_version", Ty::Str), o("analysis_definition_version", Ty::Str), o("submitted", TS), o("analysis_started", TS), o("analysis_ended", TS), o("result_name", Ty::Str), o("result", Ty::Open(&v::MALWARE_RESULT_OV)), o("analysis_sco_refs", Ty::List(&Ty::Ref(&["<sco>"]))), o("sample_ref", Ty::Ref(&["file", "artifact", "network-traffic"]))],
    "note" Sdo [o("abstract", Ty::Str), r("content", Ty::Str), o("authors", STR_LIST), r("object_refs", ANY_REFS)],
    "observed-data" Sdo [r("first_observed", TS), r("last_observed", TS), r("number_observed", Ty::Int(1, 999_999_999)), o("objects", Ty::Dict), o("object_refs", Ty::List(&Ty::Ref(&["<sco>", "relationship"])))],
    "opinion" Sdo [o("explanation", Ty::Str), o("authors", STR_LIST), r("opinion", Ty::EnumSet(&v::OPINION_ENUM)), r("object_refs", ANY_REFS)],
    "report" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("report_types", Ty::List(&Ty::Open(&v::REPORT_TYPE_OV))), r("published", TS), r("object_refs", ANY_REFS)],
    "threat-actor" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("threat_actor_types", Ty::List(&Ty::Open(&v::THREAT_ACTOR_TYPE_OV))), o("aliases", STR_LIST), o("first_seen", TS), o("last_seen", TS), o("roles", Ty::List(&Ty::Open(&v::THREAT_ACTOR_ROLE_OV))), o("goals", STR_LIST), o("sophistication", Ty::Open(&v::THREAT_ACTOR_SOPHISTICATION_OV)), o("resource_level", Ty::Open(&v::ATTACK_RESOURCE_LEVEL_OV)), o("primary_motivation", Ty::Open(&v::ATTACK_MOTIVATION_OV)), o("secondary_motivations", Ty::List(&Ty::Open(&v::ATTACK_MOTIVATION_OV))), o("personal_motivations", Ty::List(&Ty::Open(&v::ATTACK_MOTIVATION_OV)))],
    "tool" Sdo [r("name", Ty::Str), o("description", Ty::Str), o("tool_types", Ty::List(&Ty::Open(&v::TOOL_TYPE_OV))), o("aliases", STR_LIST), o("kill_chain_phases", KCP), o("tool_version", Ty::Str)],
    "vulnerability" Sdo [r("name", Ty::Str), o("description", Ty::Str)],
    "relationship" Sro [r("relationship_type", Ty::Str), o("description", Ty::Str), r("source_ref", Ty::Ref(&["<sdo>", "<sco>"])), r("target_ref", Ty::Ref(&["<sdo>", "<sco>"])), o("start_time", TS), o("stop_time", TS)],
    "sighting" Sro [o("description", Ty::Str), o("first_seen", TS), o("last_seen", TS), o("count", Ty::Int(0, 999_999_999)), r("sighting_of_ref", Ty::Ref(&["<sdo>"])), o("observed_data_refs", Ty::List(&Ty::Ref(&["observed-data"]))), o("where_sighted_refs", Ty::List(&Ty::Ref(&["identity", "location"]))), o("summary", Ty::Bool)],
    "marking-definition" Meta [],
    "language-content" Meta [r("object_ref", Ty::Ref(&["<any>"])), o("object_modified", TS), r("contents", Ty::Any)],
    "extension-definition" Meta [r("name", Ty::Str), o("description", Ty::Str), r("schema", Ty::Str), r("version", Ty::Str), r("extension_types", Ty::List(&Ty::EnumSet(&v::EXTENSION_TYPE_ENUM))), o("extension_properties", STR_LIST)],
    "artifact" Sco [o("mime_type", Ty::Str), o("payload_bin", Ty::Binary), o("url", Ty::Str), o("hashes", Ty::Hashes), o("encryption_algorithm", Ty::EnumSet(&v::ENCRYPTION_ALGORITHM_ENUM)), o("decryption_key", Ty::Str)],
    "autonomous-system" Sco [r("number", Ty::Int(i64::MIN, i64::MAX)), o("name", Ty::Str), o("rir", Ty::Str)],
    "directory" Sco [r("path", Ty::Str), o("path_enc", Ty::Charset), o("ctime", TS), o("mtime", TS), o("atime", TS), o("contains_refs", Ty::List(&Ty::Ref(&["file", "directory"])))],
    "domain-name" Sco [r("value", Ty::Str), o("resolves_to_refs", Ty::List(&Ty::Ref(&["ipv4-addr", "ipv6-addr", "domain-name"])))],
    "email-addr" Sco [r("value", Ty::Str), o("display_name", Ty::Str), o("belongs_to_ref", Ty::Ref(&["user-account"]))],
    "email-message" Sco [r("is_multipart", Ty::Bool), o("date", TS), o("content_type", Ty::Str), o("from_ref", Ty::Ref(&["email-addr"])), o("sender_ref", Ty::Ref(&["email-addr"])), o("to_refs", Ty::List(&Ty::Ref(&["email-addr"]))), o("cc_refs", Ty::List(&Ty::Ref(&["email-addr"]))), o("bcc_refs", Ty::List(&Ty::Ref(&["email-addr"]))), o("message_id", Ty::Str), o("subject", Ty::Str), o("received_lines", STR_LIST), o("additional_header_fields", Ty::DictOf(&STR_LIST)), o("body", Ty::Str), o("body_multipart", Ty::List(&Ty::Obj(&MIME_PART))), o("raw_email_ref", Ty::Ref(&["artifact"]))],
    "file" Sco [o("hashes", Ty::Hashes), o("size", NON_NEG), o("name", Ty::Str), o("name_enc", Ty::Charset), o("magic_number_hex", Ty::Hex), o("mime_type", Ty::Str), o("ctime", TS), o("mtime", TS), o("atime", TS), o("parent_directory_ref", Ty::Ref(&["directory"])), o("contains_refs", Ty::List(&Ty::Ref(&["<sco>"]))), o("content_ref", Ty::Ref(&["artifact"]))],
    "ipv4-addr" Sco [r("value", Ty::Str), o("resolves_to_refs", Ty::List(&Ty::Ref(&["mac-addr"]))), o("belongs_to_refs", Ty::List(&Ty::Ref(&["autonomous-system"])))],
    "ipv6-addr" Sco [r("value", Ty::Str), o("resolves_to_refs", Ty::List(&Ty::Ref(&["mac-addr"]))), o("belongs_to_refs", Ty::List(&Ty::Ref(&["autonomous-system"])))],
    "mac-addr" Sco [r("value", Ty::Str)],
    "mutex" Sco [r("name", Ty::Str)],
    "network-traffic" Sco [o("start", TS), o("end", TS), o("is_active", Ty::Bool), o("src_ref", Ty::Ref(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"])), o("dst_ref", Ty::Ref(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"])), o("src_port", PORT), o("dst_port", PORT), r("protocols", STR_LIST), o("src_byte_count", NON_NEG), o("dst_byte_count", NON_NEG), o("src_packets", NON_NEG), o("dst_packets", NON_NEG), o("ipfix", Ty::DictOf(&Ty::IntOrStr)), o("src_payload_ref", Ty::Ref(&["artifact"])), o("dst_payload_ref", Ty::Ref(&["artifact"])), o("encapsulates_refs", Ty::List(&Ty::Ref(&["network-traffic"]))), o("encapsulated_by_ref", Ty::Ref(&["network-traffic"]))],
    "process" Sco [o("is_hidden", Ty::Bool), o("pid", Ty::Int(i64::MIN, i64::MAX)), o("created_time", TS), o("cwd", Ty::Str), o("command_line", Ty::Str), o("environment_variables", Ty::DictOf(&Ty::Str)), o("opened_connection_refs", Ty::List(&Ty::Ref(&["network-traffic"]))), o("creator_user_ref", Ty::Ref(&["user-account"])), o("image_ref", Ty::Ref(&["file"])), o("parent_ref", Ty::Ref(&["process"])), o("child_refs", Ty::List(&Ty::Ref(&["process"])))],
    "software" Sco [r("name", Ty::Str), o("cpe", Ty::Str), o("swid", Ty::Str), o("languages", Ty::List(&Ty::Lang)), o("vendor", Ty::Str), o("version", Ty::Str)],
    "url" Sco [r("value", Ty::Str)],
    "user-account" Sco [o("user_id", Ty::Str), o("credential", Ty::Str), o("account_login", Ty::Str), o("account_type", Ty::Open(&v::ACCOUNT_TYPE_OV)), o("display_name", Ty::Str), o("is_service_account", Ty::Bool), o("is_privileged", Ty::Bool), o("can_escalate_privs", Ty::Bool), o("is_disabled", Ty::Bool), o("account_created", TS), o("account_expires", TS), o("credential_last_changed", TS), o("account_first_login", TS), o("account_last_login", TS)],
    "windows-registry-key" Sco [o("key", Ty::Str), o("values", Ty::List(&Ty::Obj(&REGISTRY_VALUE))), o("modified_time", TS), o("creator_user_ref", Ty::Ref(&["user-account"])), o("number_of_subkeys", NON_NEG)],
    // pacto's x-firearm (a new-sco extension, crate::firearm): built in like the spec's types.
    "x-firearm" Sco [o("manufacturer", Ty::Str), o("model", Ty::Str), o("firearm_type", Ty::OpenList(crate::firearm::FIREARM_TYPE_OV)), o("caliber", Ty::Str), o("serial_number", Ty::Str), o("country_of_manufacture", Ty::Country), o("importer_marks", STR_LIST)],
    "x509-certificate" Sco [o("is_self_signed", Ty::Bool), o("hashes", Ty::Hashes), o("version", Ty::Str), o("serial_number", Ty::Str), o("signature_algorithm", Ty::Str), o("issuer", Ty::Str), o("validity_not_before", TS), o("validity_not_after", TS), o("subject", Ty::Str), o("subject_public_key_algorithm", Ty::Str), o("subject_public_key_modulus", Ty::Str), o("subject_public_key_exponent", NON_NEG), o("x509_v3_extensions", Ty::Obj(&X509_V3))],
}

/// Look up a built-in type.
pub fn type_def(name: &str) -> Option<&'static TypeDef> {
    TYPES.iter().find(|t| t.name == name)
}

/// Whether a type name is a built-in SDO.
pub fn is_sdo(name: &str) -> bool {
    type_def(name).is_some_and(|t| t.kind == Kind::Sdo)
}

/// Whether a type name is a built-in SCO.
pub fn is_sco(name: &str) -> bool {
    type_def(name).is_some_and(|t| t.kind == Kind::Sco)
}

/// Whether an identifier's type satisfies a reference's allowed classes. Custom (unknown)
/// types satisfy the class names, since the identifier alone cannot tell what they are.
pub fn ref_class(target_type: &str, allowed: &[&str]) -> bool {
    allowed.iter().any(|&a| match a {
        "<any>" => true,
        "<sdo>" => is_sdo(target_type) || is_custom(target_type),
        "<sco>" => is_sco(target_type) || is_custom(target_type),
        t => t == target_type,
    })
}

/// Hash algorithms of the spec's hash-algorithm-ov with the length (hex digits) they must have.
pub static HASH_LENGTHS: &[(&str, usize)] =
    &[("MD5", 32), ("SHA-1", 40), ("SHA-256", 64), ("SHA-512", 128), ("SHA3-256", 64), ("SHA3-512", 128)];

/// TLP 2.0 extension-definition and the legacy TLP 1.0 marking definitions.
pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// A type that is not one of the spec's (a bundle is not an object type either).
pub fn is_custom(ty: &str) -> bool {
    type_def(ty).is_none() && ty != "bundle"
}
