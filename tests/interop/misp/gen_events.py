"""Writes events/attributes.json: one MISP event (as MISP's REST API exports it) with an
attribute of each type pacto maps, once with to_ids and once without, MISP objects, galaxies and
tags. Deterministic (UUIDs from uuid5), so the file is reproducible: `python3 gen_events.py`."""
import json
import uuid
from pathlib import Path

NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
TS = "1714644000"  # 2024-05-02T10:00:00Z


def u(*parts):
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


VALUES = {
    "ip-src": ("Network activity", "198.51.100.7"),
    "ip-dst": ("Network activity", "203.0.113.9"),
    "domain": ("Network activity", "pagos-rapidos.example"),
    "hostname": ("Network activity", "c2.pagos-rapidos.example"),
    "url": ("Network activity", "https://pagos-rapidos.example/login"),
    "uri": ("Network activity", "/wp-admin/x.php"),
    "email-src": ("Payload delivery", "envios@pagos-rapidos.example"),
    "email-dst": ("Payload delivery", "victima@example.org"),
    "email-subject": ("Payload delivery", "Factura pendiente"),
    "md5": ("Payload delivery", "b2a5abfeef9e36964281a31e17b57c97"),
    "sha1": ("Payload delivery", "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
    "sha256": ("Payload delivery", "a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e"),
    "filename": ("Payload delivery", "factura.pdf.exe"),
    "filename|md5": ("Payload delivery", "factura.exe|b2a5abfeef9e36964281a31e17b57c97"),
    "filename|sha256": ("Payload delivery", "factura.exe|a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e"),
    "domain|ip": ("Network activity", "pagos-rapidos.example|203.0.113.9"),
    "ip-dst|port": ("Network activity", "203.0.113.9|8443"),
    "mutex": ("Artifacts dropped", "Global\\pagos_mutex"),
    "regkey": ("Persistence mechanism", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\pagos"),
    "user-agent": ("Network activity", "Mozilla/5.0 (pagos)"),
    "mac-address": ("Network activity", "00:1a:2b:3c:4d:5e"),
    "AS": ("Network activity", "AS64500"),
    "vulnerability": ("External analysis", "CVE-2021-44228"),
    "comment": ("Other", "Seen in the March campaign"),
    "text": ("Other", "Free text note"),
}

attributes = []
for flag in (True, False):
    for ty, (cat, value) in VALUES.items():
        attributes.append({
            "id": str(len(attributes) + 1), "uuid": u("attr", ty, flag), "type": ty, "category": cat,
            "value": value, "to_ids": flag, "timestamp": TS, "comment": "", "distribution": "5",
            "deleted": False, "disable_correlation": False, "object_id": "0",
        })

objects = [
    {"name": "file", "meta-category": "file", "uuid": u("obj", "file"), "timestamp": TS, "comment": "",
     "Attribute": [
         {"uuid": u("obj", "file", "a", 1), "type": "filename", "object_relation": "filename", "category": "Payload delivery",
          "value": "dropper.exe", "to_ids": False, "timestamp": TS},
         {"uuid": u("obj", "file", "a", 2), "type": "md5", "object_relation": "md5", "category": "Payload delivery",
          "value": "098f6bcd4621d373cade4e832627b4f6", "to_ids": True, "timestamp": TS},
         {"uuid": u("obj", "file", "a", 3), "type": "sha256", "object_relation": "sha256", "category": "Payload delivery",
          "value": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "to_ids": True, "timestamp": TS},
         {"uuid": u("obj", "file", "a", 4), "type": "size-in-bytes", "object_relation": "size-in-bytes", "category": "Other",
          "value": "4096", "to_ids": False, "timestamp": TS}]},
    {"name": "domain-ip", "meta-category": "network", "uuid": u("obj", "domain-ip"), "timestamp": TS, "comment": "",
     "Attribute": [
         {"uuid": u("obj", "domain-ip", "a", 1), "type": "domain", "object_relation": "domain", "category": "Network activity",
          "value": "cobro.example", "to_ids": True, "timestamp": TS},
         {"uuid": u("obj", "domain-ip", "a", 2), "type": "ip-dst", "object_relation": "ip", "category": "Network activity",
          "value": "192.0.2.44", "to_ids": True, "timestamp": TS}]},
    {"name": "ip-port", "meta-category": "network", "uuid": u("obj", "ip-port"), "timestamp": TS, "comment": "",
     "Attribute": [
         {"uuid": u("obj", "ip-port", "a", 1), "type": "ip-dst", "object_relation": "ip", "category": "Network activity",
          "value": "192.0.2.45", "to_ids": False, "timestamp": TS},
         {"uuid": u("obj", "ip-port", "a", 2), "type": "port", "object_relation": "dst-port", "category": "Network activity",
          "value": "443", "to_ids": False, "timestamp": TS}]},
    {"name": "url", "meta-category": "network", "uuid": u("obj", "url"), "timestamp": TS, "comment": "",
     "Attribute": [
         {"uuid": u("obj", "url", "a", 1), "type": "url", "object_relation": "url", "category": "Network activity",
          "value": "http://cobro.example/pay", "to_ids": True, "timestamp": TS}]},
    {"name": "email", "meta-category": "network", "uuid": u("obj", "email"), "timestamp": TS, "comment": "",
     "Attribute": [
         {"uuid": u("obj", "email", "a", 1), "type": "email-src", "object_relation": "from", "category": "Payload delivery",
          "value": "cobros@cobro.example", "to_ids": False, "timestamp": TS},
         {"uuid": u("obj", "email", "a", 2), "type": "email-subject", "object_relation": "subject", "category": "Payload delivery",
          "value": "Aviso de pago", "to_ids": False, "timestamp": TS}]},
]


def cluster(galaxy_type, name, value):
    return {"uuid": u("galaxy", galaxy_type), "name": name, "type": galaxy_type, "description": f"{name} galaxy",
            "namespace": "misp", "GalaxyCluster": [{
                "uuid": u("cluster", galaxy_type, value), "type": galaxy_type, "value": value,
                "tag_name": f'misp-galaxy:{galaxy_type}="{value}"', "description": f"{value}, a {name}",
                "meta": {}}]}


galaxies = [
    cluster("threat-actor", "Threat Actor", "Los Pagos"),
    cluster("mitre-intrusion-set", "Intrusion Set", "APT-PAGOS"),
    cluster("mitre-malware", "Malware", "PagoRAT"),
    cluster("mitre-tool", "Tool", "PagoLoader"),
    cluster("mitre-attack-pattern", "Attack Pattern", "Phishing - T1566"),
]

event = {"Event": {
    "id": "1", "uuid": u("event"), "info": "Pagos rapidos phishing and its infrastructure",
    "date": "2024-05-02", "timestamp": TS, "publish_timestamp": TS, "published": True,
    "threat_level_id": "2", "analysis": "1", "distribution": "1",
    "Orgc": {"name": "CERT-MX", "uuid": u("org", "cert-mx")},
    "Org": {"name": "CERT-MX", "uuid": u("org", "cert-mx")},
    "Tag": [{"name": "tlp:amber"}, {"name": "type:OSINT"}, {"name": "pagos"}],
    "Attribute": attributes, "Object": objects, "Galaxy": galaxies,
}}

out = Path(__file__).parent / "events" / "attributes.json"
out.parent.mkdir(exist_ok=True)
out.write_text(json.dumps(event, indent=1) + "\n")
