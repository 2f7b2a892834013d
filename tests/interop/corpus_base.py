"""One valid base object per STIX 2.1 type, plus what the generator needs to
know to break it: required properties, property kinds, embedded-reference
targets and the spec section.

Property kinds used in `props`:
  string, integer, float, boolean, timestamp, identifier, list-string,
  list-identifier, list-ov (list of open-vocab), ov (open-vocab), enum,
  dictionary, hashes, hex, binary, kcp-list (kill-chain-phases),
  extref-list (external references), object (a nested structured type).
"""

from corpus_common import (IDENTITY_ID, MD5, SHA1, SHA256, T_CREATED, T_EARLY,
                           T_LATE, T_MODIFIED, TLP, deep, sdo_id, v4,
                           with_sco_id)

SPEC_SECTION = {
    "attack-pattern": "4.1", "campaign": "4.2", "course-of-action": "4.3",
    "grouping": "4.4", "identity": "4.5", "incident": "4.6", "indicator": "4.7",
    "infrastructure": "4.8", "intrusion-set": "4.9", "location": "4.10",
    "malware": "4.11", "malware-analysis": "4.12", "note": "4.13",
    "observed-data": "4.14", "opinion": "4.15", "report": "4.16",
    "threat-actor": "4.17", "tool": "4.18", "vulnerability": "4.19",
    "relationship": "5.1", "sighting": "5.2",
    "artifact": "6.1", "autonomous-system": "6.2", "directory": "6.3",
    "domain-name": "6.4", "email-addr": "6.5", "email-message": "6.6",
    "file": "6.7", "ipv4-addr": "6.8", "ipv6-addr": "6.9", "mac-addr": "6.10",
    "mutex": "6.11", "network-traffic": "6.12", "process": "6.13",
    "software": "6.14", "url": "6.15", "user-account": "6.16",
    "windows-registry-key": "6.17", "x509-certificate": "6.18",
    "language-content": "7.1", "marking-definition": "7.2.1",
    "extension-definition": "7.3",
}

SDO_TYPES = ["attack-pattern", "campaign", "course-of-action", "grouping",
             "identity", "incident", "indicator", "infrastructure",
             "intrusion-set", "location", "malware", "malware-analysis", "note",
             "observed-data", "opinion", "report", "threat-actor", "tool",
             "vulnerability"]
SRO_TYPES = ["relationship", "sighting"]
SCO_TYPES = ["artifact", "autonomous-system", "directory", "domain-name",
             "email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr",
             "mac-addr", "mutex", "network-traffic", "process", "software",
             "url", "user-account", "windows-registry-key", "x509-certificate"]
META_TYPES = ["language-content", "marking-definition", "extension-definition"]

# ---------------------------------------------------------------------------
# Supporting SCOs (referenced from other objects)
# ---------------------------------------------------------------------------

SOFTWARE = with_sco_id({"type": "software", "name": "Windows 10 Enterprise",
                        "vendor": "Microsoft", "version": "21H2",
                        "cpe": "cpe:2.3:o:microsoft:windows_10:21h2:*:*:*:enterprise:*:*:*",
                        "languages": ["en"]})
SOFTWARE_VM = with_sco_id({"type": "software", "name": "VirtualBox", "vendor": "Oracle",
                           "version": "6.1"})
ARTIFACT = with_sco_id({"type": "artifact", "mime_type": "application/zip",
                        "payload_bin": "UEsDBBQAAAAIAA==",
                        "hashes": {"SHA-256": SHA256},
                        "encryption_algorithm": "mime-type-indicated",
                        "decryption_key": "infected"})
ARTIFACT_2 = with_sco_id({"type": "artifact", "mime_type": "text/plain",
                          "payload_bin": "aGVsbG8gd29ybGQ="})
DIRECTORY = with_sco_id({"type": "directory", "path": "C:\\Users\\analyst\\Downloads"})
FILE_2 = with_sco_id({"type": "file", "name": "readme.txt", "hashes": {"MD5": MD5}})
IPV4_SRC = with_sco_id({"type": "ipv4-addr", "value": "198.51.100.7"})
IPV4_DST = with_sco_id({"type": "ipv4-addr", "value": "203.0.113.42"})
MAC = with_sco_id({"type": "mac-addr", "value": "00:00:5e:00:53:af"})
AS = with_sco_id({"type": "autonomous-system", "number": 64500, "name": "Example AS", "rir": "ARIN"})
USER = with_sco_id({"type": "user-account", "user_id": "1001", "account_login": "jdoe",
                    "account_type": "unix"})
EMAIL_FROM = with_sco_id({"type": "email-addr", "value": "alice@example.com",
                          "display_name": "Alice"})
EMAIL_TO = with_sco_id({"type": "email-addr", "value": "bob@example.org"})
EMAIL_CC = with_sco_id({"type": "email-addr", "value": "carol@example.net"})
URL = with_sco_id({"type": "url", "value": "https://example.com/payload.bin"})
DOMAIN_2 = with_sco_id({"type": "domain-name", "value": "cdn.example.com"})
NT_INNER = with_sco_id({"type": "network-traffic", "src_ref": IPV4_SRC["id"],
                        "dst_ref": IPV4_DST["id"], "src_port": 51515, "dst_port": 443,
                        "protocols": ["ipv4", "tcp", "tls"]})
PROCESS_PARENT = {"type": "process", "spec_version": "2.1",
                  "id": "process--" + v4("process:parent"), "pid": 4, "command_line": "System"}
PROCESS_CHILD = {"type": "process", "spec_version": "2.1",
                 "id": "process--" + v4("process:child"), "pid": 4242,
                 "command_line": "cmd.exe /c whoami"}

# ---------------------------------------------------------------------------
# Helpers to build the common part of SDOs / SROs
# ---------------------------------------------------------------------------


def sdo(type_, **props):
    obj = {"type": type_, "spec_version": "2.1", "id": sdo_id(type_),
           "created": T_CREATED, "modified": T_MODIFIED}
    obj.update(props)
    return obj


KCP = [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}]

BASES = {}


def base(type_, obj, required, props, refs=None):
    BASES[type_] = {"obj": obj, "required": required, "props": props, "refs": refs or {}}


SDO_REQ = ["type", "spec_version", "id", "created", "modified"]
SCO_REQ = ["type", "id"]

# ------------------------------------------------------------------ SDOs ---

base("attack-pattern",
     sdo("attack-pattern", name="Spearphishing Attachment",
         description="Targeted e-mail carrying a malicious attachment.",
         aliases=["Phishing Attachment"], kill_chain_phases=deep(KCP),
         external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}]),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "aliases": "list-string",
      "kill_chain_phases": "kcp-list", "external_references": "extref-list"})

base("campaign",
     sdo("campaign", name="Operation Quiet Harbor", description="Harvesting of VPN credentials.",
         aliases=["Quiet Harbor"], first_seen=T_EARLY, last_seen=T_LATE,
         objective="Credential theft"),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "aliases": "list-string",
      "first_seen": "timestamp", "last_seen": "timestamp", "objective": "string"})

base("course-of-action",
     sdo("course-of-action", name="Block outbound SMB",
         description="Deny TCP/445 at the perimeter."),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string"})

base("grouping",
     sdo("grouping", name="Triage set 7", description="Objects under review.",
         context="suspicious-activity",
         object_refs=[sdo_id("indicator"), sdo_id("malware")]),
     SDO_REQ + ["context", "object_refs"],
     {"name": "string", "description": "string", "context": "ov",
      "object_refs": "list-identifier"})

base("identity",
     sdo("identity", name="Example Bank", description="Retail bank.",
         roles=["victim"], identity_class="organization",
         sectors=["financial-services"], contact_information="soc@example.com"),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "roles": "list-string",
      "identity_class": "ov", "sectors": "list-ov", "contact_information": "string"})

# Incident is a stub in STIX 2.1: name and description only.
base("incident",
     sdo("incident", name="Ransomware on file server",
         description="Encryption of the finance share."),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string"})

base("indicator",
     sdo("indicator", name="C2 address", description="Known command and control address.",
         indicator_types=["malicious-activity"],
         pattern="[ipv4-addr:value = '203.0.113.42']", pattern_type="stix",
         pattern_version="2.1", valid_from=T_EARLY, valid_until=T_LATE,
         kill_chain_phases=deep(KCP)),
     SDO_REQ + ["pattern", "pattern_type", "valid_from"],
     {"name": "string", "description": "string", "indicator_types": "list-ov",
      "pattern": "string", "pattern_type": "ov", "pattern_version": "string",
      "valid_from": "timestamp", "valid_until": "timestamp", "kill_chain_phases": "kcp-list"})

base("infrastructure",
     sdo("infrastructure", name="Relay cluster", description="VPS nodes used as relays.",
         infrastructure_types=["command-and-control"], aliases=["RC-1"],
         kill_chain_phases=deep(KCP), first_seen=T_EARLY, last_seen=T_LATE),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "infrastructure_types": "list-ov",
      "aliases": "list-string", "kill_chain_phases": "kcp-list",
      "first_seen": "timestamp", "last_seen": "timestamp"})

base("intrusion-set",
     sdo("intrusion-set", name="Granite Owl", description="Long running espionage set.",
         aliases=["GO-12"], first_seen=T_EARLY, last_seen=T_LATE,
         goals=["steal research data"], resource_level="government",
         primary_motivation="organizational-gain", secondary_motivations=["dominance"]),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "aliases": "list-string",
      "first_seen": "timestamp", "last_seen": "timestamp", "goals": "list-string",
      "resource_level": "ov", "primary_motivation": "ov", "secondary_motivations": "list-ov"})

base("location",
     sdo("location", name="Head office", description="Main campus.",
         latitude=48.8566, longitude=2.3522, precision=1000.0,
         region="western-europe", country="FR", administrative_area="FR-75",
         city="Paris", street_address="1 Rue Exemple", postal_code="75001"),
     SDO_REQ,
     {"name": "string", "description": "string", "latitude": "float",
      "longitude": "float", "precision": "float", "region": "ov", "country": "string",
      "administrative_area": "string", "city": "string", "street_address": "string",
      "postal_code": "string"})

base("malware",
     sdo("malware", name="NightCrawler", description="Modular loader.",
         malware_types=["dropper"], is_family=True, aliases=["NC"],
         kill_chain_phases=deep(KCP), first_seen=T_EARLY, last_seen=T_LATE,
         operating_system_refs=[SOFTWARE["id"]], architecture_execution_envs=["x86-64"],
         implementation_languages=["c++"], capabilities=["persists-after-system-reboot"],
         sample_refs=[FILE_2["id"], ARTIFACT["id"]]),
     SDO_REQ + ["is_family"],
     {"name": "string", "description": "string", "malware_types": "list-ov",
      "is_family": "boolean", "aliases": "list-string", "kill_chain_phases": "kcp-list",
      "first_seen": "timestamp", "last_seen": "timestamp",
      "operating_system_refs": "list-identifier", "architecture_execution_envs": "list-ov",
      "implementation_languages": "list-ov", "capabilities": "list-ov",
      "sample_refs": "list-identifier"},
     {"operating_system_refs": ["software"], "sample_refs": ["file", "artifact"]})

base("malware-analysis",
     sdo("malware-analysis", product="example-sandbox", version="3.2",
         host_vm_ref=SOFTWARE_VM["id"], operating_system_ref=SOFTWARE["id"],
         installed_software_refs=[SOFTWARE_VM["id"]], configuration_version="full-depth",
         modules=["pe-static"], analysis_engine_version="5.1.0",
         analysis_definition_version="053514-0062", submitted=T_EARLY,
         analysis_started=T_EARLY, analysis_ended=T_LATE, result_name="Trojan.Generic",
         result="malicious", analysis_sco_refs=[FILE_2["id"]], sample_ref=ARTIFACT["id"]),
     SDO_REQ + ["product"],
     {"product": "string", "version": "string", "host_vm_ref": "identifier",
      "operating_system_ref": "identifier", "installed_software_refs": "list-identifier",
      "configuration_version": "string", "modules": "list-string",
      "analysis_engine_version": "string", "analysis_definition_version": "string",
      "submitted": "timestamp", "analysis_started": "timestamp", "analysis_ended": "timestamp",
      "result_name": "string", "result": "ov", "analysis_sco_refs": "list-identifier",
      "sample_ref": "identifier"},
     {"host_vm_ref": ["software"], "operating_system_ref": ["software"],
      "installed_software_refs": ["software"],
      "sample_ref": ["file", "network-traffic", "artifact"]})

base("note",
     sdo("note", abstract="Forum chatter", content="Seen on a forum thread.",
         authors=["analyst-7"], object_refs=[sdo_id("campaign")]),
     SDO_REQ + ["content", "object_refs"],
     {"abstract": "string", "content": "string", "authors": "list-string",
      "object_refs": "list-identifier"})

base("observed-data",
     sdo("observed-data", first_observed=T_EARLY, last_observed=T_LATE,
         number_observed=12, object_refs=[IPV4_DST["id"], URL["id"]]),
     SDO_REQ + ["first_observed", "last_observed", "number_observed"],
     {"first_observed": "timestamp", "last_observed": "timestamp",
      "number_observed": "integer", "object_refs": "list-identifier"})

base("opinion",
     sdo("opinion", explanation="Seen in our network too.", authors=["analyst-7"],
         opinion="agree", object_refs=[sdo_id("indicator")]),
     SDO_REQ + ["opinion", "object_refs"],
     {"explanation": "string", "authors": "list-string", "opinion": "enum",
      "object_refs": "list-identifier"})

base("report",
     sdo("report", name="Quarterly threat summary", description="Q3 overview.",
         report_types=["threat-report"], published="2021-03-05T00:00:00Z",
         object_refs=[sdo_id("campaign"), sdo_id("indicator")]),
     SDO_REQ + ["name", "published", "object_refs"],
     {"name": "string", "description": "string", "report_types": "list-ov",
      "published": "timestamp", "object_refs": "list-identifier"})

base("threat-actor",
     sdo("threat-actor", name="Sly Heron", description="Financially motivated crew.",
         threat_actor_types=["crime-syndicate"], aliases=["SH"], first_seen=T_EARLY,
         last_seen=T_LATE, roles=["agent"], goals=["card data"],
         sophistication="advanced", resource_level="organization",
         primary_motivation="personal-gain", secondary_motivations=["notoriety"],
         personal_motivations=["revenge"]),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "threat_actor_types": "list-ov",
      "aliases": "list-string", "first_seen": "timestamp", "last_seen": "timestamp",
      "roles": "list-ov", "goals": "list-string", "sophistication": "ov",
      "resource_level": "ov", "primary_motivation": "ov",
      "secondary_motivations": "list-ov", "personal_motivations": "list-ov"})

base("tool",
     sdo("tool", name="PsExec", description="Remote execution utility.",
         tool_types=["remote-access"], aliases=["psexec.exe"],
         kill_chain_phases=deep(KCP), tool_version="2.34"),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "tool_types": "list-ov",
      "aliases": "list-string", "kill_chain_phases": "kcp-list", "tool_version": "string"})

base("vulnerability",
     sdo("vulnerability", name="CVE-2021-44228", description="Log4Shell.",
         external_references=[{"source_name": "cve", "external_id": "CVE-2021-44228"}]),
     SDO_REQ + ["name"],
     {"name": "string", "description": "string", "external_references": "extref-list"})

# ------------------------------------------------------------------ SROs ---

base("relationship",
     sdo("relationship", relationship_type="uses", description="Campaign uses the loader.",
         source_ref=sdo_id("campaign"), target_ref=sdo_id("malware"),
         start_time=T_EARLY, stop_time=T_LATE),
     SDO_REQ + ["relationship_type", "source_ref", "target_ref"],
     {"relationship_type": "string", "description": "string", "source_ref": "identifier",
      "target_ref": "identifier", "start_time": "timestamp", "stop_time": "timestamp"},
     {"source_ref": ["<sdo>", "<sco>"], "target_ref": ["<sdo>", "<sco>"]})

base("sighting",
     sdo("sighting", description="Seen at two branches.", first_seen=T_EARLY,
         last_seen=T_LATE, count=2, sighting_of_ref=sdo_id("indicator"),
         observed_data_refs=[sdo_id("observed-data")],
         where_sighted_refs=[sdo_id("identity"), sdo_id("location")], summary=False),
     SDO_REQ + ["sighting_of_ref"],
     {"description": "string", "first_seen": "timestamp", "last_seen": "timestamp",
      "count": "integer", "sighting_of_ref": "identifier",
      "observed_data_refs": "list-identifier", "where_sighted_refs": "list-identifier",
      "summary": "boolean"},
     {"sighting_of_ref": ["<sdo>"], "observed_data_refs": ["observed-data"],
      "where_sighted_refs": ["identity", "location"]})

# ------------------------------------------------------------------ SCOs ---

base("artifact", deep(ARTIFACT), SCO_REQ,
     {"mime_type": "string", "payload_bin": "binary", "hashes": "hashes",
      "encryption_algorithm": "enum", "decryption_key": "string"})

base("autonomous-system", deep(AS), SCO_REQ + ["number"],
     {"number": "integer", "name": "string", "rir": "string"})

base("directory",
     with_sco_id({"type": "directory", "path": "C:\\Users\\analyst",
                  "path_enc": "windows-1252", "ctime": T_EARLY, "mtime": T_LATE,
                  "atime": T_LATE, "contains_refs": [DIRECTORY["id"], FILE_2["id"]]}),
     SCO_REQ + ["path"],
     {"path": "string", "path_enc": "string", "ctime": "timestamp", "mtime": "timestamp",
      "atime": "timestamp", "contains_refs": "list-identifier"},
     {"contains_refs": ["file", "directory"]})

base("domain-name",
     with_sco_id({"type": "domain-name", "value": "example.com",
                  "resolves_to_refs": [IPV4_DST["id"], DOMAIN_2["id"]]}),
     SCO_REQ + ["value"],
     {"value": "string", "resolves_to_refs": "list-identifier"},
     {"resolves_to_refs": ["ipv4-addr", "ipv6-addr", "domain-name"]})

base("email-addr",
     with_sco_id({"type": "email-addr", "value": "jdoe@example.com",
                  "display_name": "John Doe", "belongs_to_ref": USER["id"]}),
     SCO_REQ + ["value"],
     {"value": "string", "display_name": "string", "belongs_to_ref": "identifier"},
     {"belongs_to_ref": ["user-account"]})

base("email-message",
     with_sco_id({"type": "email-message", "is_multipart": False,
                  "date": "2021-03-01T10:00:00Z", "content_type": "text/plain",
                  "from_ref": EMAIL_FROM["id"], "sender_ref": EMAIL_FROM["id"],
                  "to_refs": [EMAIL_TO["id"]], "cc_refs": [EMAIL_CC["id"]],
                  "bcc_refs": [EMAIL_CC["id"]], "message_id": "<123@example.com>",
                  "subject": "Invoice 4711",
                  "received_lines": ["from mx.example.com by mail.example.org"],
                  "additional_header_fields": {"Reply-To": ["billing@example.com",
                                                            "ap@example.com"]},
                  "body": "Please see the attached invoice.",
                  "raw_email_ref": ARTIFACT_2["id"]}),
     SCO_REQ + ["is_multipart"],
     {"is_multipart": "boolean", "date": "timestamp", "content_type": "string",
      "from_ref": "identifier", "sender_ref": "identifier", "to_refs": "list-identifier",
      "cc_refs": "list-identifier", "bcc_refs": "list-identifier", "message_id": "string",
      "subject": "string", "received_lines": "list-string",
      "additional_header_fields": "dictionary", "body": "string",
      "raw_email_ref": "identifier"},
     {"from_ref": ["email-addr"], "sender_ref": ["email-addr"], "to_refs": ["email-addr"],
      "cc_refs": ["email-addr"], "bcc_refs": ["email-addr"], "raw_email_ref": ["artifact"]})

base("file",
     with_sco_id({"type": "file", "hashes": {"SHA-256": SHA256, "MD5": MD5},
                  "size": 25536, "name": "invoice.pdf.exe", "name_enc": "windows-1252",
                  "magic_number_hex": "4d5a", "mime_type": "application/x-msdownload",
                  "ctime": T_EARLY, "mtime": T_LATE, "atime": T_LATE,
                  "parent_directory_ref": DIRECTORY["id"], "contains_refs": [URL["id"]],
                  "content_ref": ARTIFACT["id"]}),
     SCO_REQ,
     {"hashes": "hashes", "size": "integer", "name": "string", "name_enc": "string",
      "magic_number_hex": "hex", "mime_type": "string", "ctime": "timestamp",
      "mtime": "timestamp", "atime": "timestamp", "parent_directory_ref": "identifier",
      "contains_refs": "list-identifier", "content_ref": "identifier"},
     {"parent_directory_ref": ["directory"], "content_ref": ["artifact"],
      "contains_refs": ["<sco>"]})

base("ipv4-addr",
     with_sco_id({"type": "ipv4-addr", "value": "198.51.100.0/24",
                  "resolves_to_refs": [MAC["id"]], "belongs_to_refs": [AS["id"]]}),
     SCO_REQ + ["value"],
     {"value": "string", "resolves_to_refs": "list-identifier",
      "belongs_to_refs": "list-identifier"},
     {"resolves_to_refs": ["mac-addr"], "belongs_to_refs": ["autonomous-system"]})

base("ipv6-addr",
     with_sco_id({"type": "ipv6-addr", "value": "2001:db8::1",
                  "resolves_to_refs": [MAC["id"]], "belongs_to_refs": [AS["id"]]}),
     SCO_REQ + ["value"],
     {"value": "string", "resolves_to_refs": "list-identifier",
      "belongs_to_refs": "list-identifier"},
     {"resolves_to_refs": ["mac-addr"], "belongs_to_refs": ["autonomous-system"]})

base("mac-addr", deep(MAC), SCO_REQ + ["value"], {"value": "string"})

base("mutex", with_sco_id({"type": "mutex", "name": "Global\\nc_mutex_01"}),
     SCO_REQ + ["name"], {"name": "string"})

base("network-traffic",
     with_sco_id({"type": "network-traffic", "start": T_EARLY, "end": T_LATE,
                  "is_active": False, "src_ref": IPV4_SRC["id"], "dst_ref": IPV4_DST["id"],
                  "src_port": 51515, "dst_port": 8080, "protocols": ["ipv4", "tcp", "http"],
                  "src_byte_count": 1024, "dst_byte_count": 2048, "src_packets": 10,
                  "dst_packets": 12, "ipfix": {"minimumIpTotalLength": 32,
                                               "flowEndReason": "idle"},
                  "src_payload_ref": ARTIFACT_2["id"], "dst_payload_ref": ARTIFACT["id"],
                  "encapsulates_refs": [NT_INNER["id"]]}),
     SCO_REQ + ["protocols"],
     {"start": "timestamp", "end": "timestamp", "is_active": "boolean",
      "src_ref": "identifier", "dst_ref": "identifier", "src_port": "integer",
      "dst_port": "integer", "protocols": "list-string", "src_byte_count": "integer",
      "dst_byte_count": "integer", "src_packets": "integer", "dst_packets": "integer",
      "ipfix": "dictionary", "src_payload_ref": "identifier",
      "dst_payload_ref": "identifier", "encapsulates_refs": "list-identifier"},
     {"src_ref": ["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"],
      "dst_ref": ["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"],
      "src_payload_ref": ["artifact"], "dst_payload_ref": ["artifact"],
      "encapsulates_refs": ["network-traffic"]})

base("process",
     {"type": "process", "spec_version": "2.1", "id": "process--" + v4("process:base"),
      "is_hidden": False, "pid": 1221, "created_time": "2021-03-01T09:00:00.5Z",
      "cwd": "C:\\Windows\\Temp", "command_line": "invoice.pdf.exe --silent",
      "environment_variables": {"TEMP": "C:\\Windows\\Temp", "COMPUTERNAME": "FIN-01"},
      "opened_connection_refs": [NT_INNER["id"]], "creator_user_ref": USER["id"],
      "image_ref": FILE_2["id"], "parent_ref": PROCESS_PARENT["id"],
      "child_refs": [PROCESS_CHILD["id"]]},
     SCO_REQ,
     {"is_hidden": "boolean", "pid": "integer", "created_time": "timestamp",
      "cwd": "string", "command_line": "string", "environment_variables": "dictionary",
      "opened_connection_refs": "list-identifier", "creator_user_ref": "identifier",
      "image_ref": "identifier", "parent_ref": "identifier", "child_refs": "list-identifier"},
     {"opened_connection_refs": ["network-traffic"], "creator_user_ref": ["user-account"],
      "image_ref": ["file"], "parent_ref": ["process"], "child_refs": ["process"]})

base("software", deep(SOFTWARE), SCO_REQ + ["name"],
     {"name": "string", "cpe": "string", "languages": "list-string", "vendor": "string",
      "version": "string"})

base("url", deep(URL), SCO_REQ + ["value"], {"value": "string"})

base("user-account",
     with_sco_id({"type": "user-account", "user_id": "S-1-5-21-1004", "credential": "hunter2",
                  "account_login": "svc_backup", "account_type": "windows-domain",
                  "display_name": "Backup Service", "is_service_account": True,
                  "is_privileged": True, "can_escalate_privs": False, "is_disabled": False,
                  "account_created": T_EARLY, "account_expires": "2030-01-01T00:00:00Z",
                  "credential_last_changed": T_EARLY, "account_first_login": T_EARLY,
                  "account_last_login": T_LATE}),
     SCO_REQ,
     {"user_id": "string", "credential": "string", "account_login": "string",
      "account_type": "ov", "display_name": "string", "is_service_account": "boolean",
      "is_privileged": "boolean", "can_escalate_privs": "boolean", "is_disabled": "boolean",
      "account_created": "timestamp", "account_expires": "timestamp",
      "credential_last_changed": "timestamp", "account_first_login": "timestamp",
      "account_last_login": "timestamp"})

base("windows-registry-key",
     with_sco_id({"type": "windows-registry-key",
                  "key": "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
                  "values": [{"name": "Updater", "data": "C:\\Temp\\u.exe", "data_type": "REG_SZ"}],
                  "modified_time": T_LATE, "creator_user_ref": USER["id"],
                  "number_of_subkeys": 3}),
     SCO_REQ,
     {"key": "string", "values": "object", "modified_time": "timestamp",
      "creator_user_ref": "identifier", "number_of_subkeys": "integer"},
     {"creator_user_ref": ["user-account"]})

base("x509-certificate",
     with_sco_id({"type": "x509-certificate", "is_self_signed": False,
                  "hashes": {"SHA-1": SHA1}, "version": "3",
                  "serial_number": "36:f7:d4:32:f4:ab:70:ea",
                  "signature_algorithm": "sha256WithRSAEncryption",
                  "issuer": "C=US, O=Example CA, CN=Example Issuing CA",
                  "validity_not_before": "2021-01-01T00:00:00Z",
                  "validity_not_after": "2022-01-01T00:00:00Z",
                  "subject": "C=US, O=Example, CN=www.example.com",
                  "subject_public_key_algorithm": "rsaEncryption",
                  "subject_public_key_modulus": "00c3a5",
                  "subject_public_key_exponent": 65537,
                  "x509_v3_extensions": {"basic_constraints": "CA:FALSE",
                                         "key_usage": "digitalSignature"}}),
     SCO_REQ,
     {"is_self_signed": "boolean", "hashes": "hashes", "version": "string",
      "serial_number": "string", "signature_algorithm": "string", "issuer": "string",
      "validity_not_before": "timestamp", "validity_not_after": "timestamp",
      "subject": "string", "subject_public_key_algorithm": "string",
      "subject_public_key_modulus": "string", "subject_public_key_exponent": "integer",
      "x509_v3_extensions": "object"})

# ------------------------------------------------------------------ meta ---

base("language-content",
     {"type": "language-content", "spec_version": "2.1",
      "id": sdo_id("language-content"), "created": T_CREATED, "modified": T_MODIFIED,
      "object_ref": sdo_id("campaign"), "object_modified": T_MODIFIED,
      "contents": {"de": {"name": "Operation Stiller Hafen",
                          "aliases": ["Stiller Hafen"]},
                   "fr": {"name": "Opération Port Tranquille"}}},
     SDO_REQ + ["object_ref", "contents"],
     {"object_ref": "identifier", "object_modified": "timestamp", "contents": "dictionary"})

base("marking-definition",
     {"type": "marking-definition", "spec_version": "2.1",
      "id": sdo_id("marking-definition"), "created": T_CREATED,
      "created_by_ref": IDENTITY_ID, "name": "Corpus copyright",
      "definition_type": "statement",
      "definition": {"statement": "Copyright 2021, Pacto corpus authors"}},
     ["type", "spec_version", "id", "created", "definition_type", "definition"],
     {"name": "string", "definition_type": "ov", "definition": "object"})

base("extension-definition",
     {"type": "extension-definition", "spec_version": "2.1",
      "id": sdo_id("extension-definition"), "created": T_CREATED, "modified": T_MODIFIED,
      "created_by_ref": IDENTITY_ID, "name": "Corpus scoring extension",
      "description": "Adds a risk score to indicators.",
      "schema": "https://example.com/schemas/corpus-score/v1.json", "version": "1.0.0",
      "extension_types": ["property-extension"]},
     SDO_REQ + ["created_by_ref", "name", "schema", "version", "extension_types"],
     {"name": "string", "description": "string", "schema": "string", "version": "string",
      "extension_types": "list-enum"})

# Refs that every SDO/SRO/meta object may carry (section 3.2).
COMMON_REFS = {"created_by_ref": ["identity"], "object_marking_refs": ["marking-definition"]}

ALL_TYPES = SDO_TYPES + SRO_TYPES + SCO_TYPES + META_TYPES
assert sorted(ALL_TYPES) == sorted(BASES), set(ALL_TYPES) ^ set(BASES)


def category(type_):
    if type_ in SDO_TYPES:
        return "sdo"
    if type_ in SRO_TYPES:
        return "sro"
    if type_ in SCO_TYPES:
        return "sco"
    return "meta"


def base_obj(type_):
    return deep(BASES[type_]["obj"])


# An object of each type, usable as a "wrong target" for reference tests.
EXAMPLE_ID = {t: (BASES[t]["obj"]["id"]) for t in ALL_TYPES}
EXAMPLE_ID["bundle"] = "bundle--" + v4("bundle:example")

SUPPORT_SCOS = [SOFTWARE, SOFTWARE_VM, ARTIFACT, ARTIFACT_2, DIRECTORY, FILE_2, IPV4_SRC,
                IPV4_DST, MAC, AS, USER, EMAIL_FROM, EMAIL_TO, EMAIL_CC, URL, DOMAIN_2,
                NT_INNER, PROCESS_PARENT, PROCESS_CHILD]
TLP_IDS = TLP
