#!/usr/bin/env python3
"""An independent verifier of pacto's disclosure ledger, written from docs/ledger.md alone.

Uses only the Python standard library and `cryptography` (for Ed25519). Checks a version 2
export against the node's public key (and, if given, a signed checkpoint held from before), a
witness cosignature, an inclusion proof and a consistency proof (also one across a key
rotation, following the handover it carries); then spoils each of them and
checks that the spoiled copy is refused.

Usage: verify_ledger.py FIXTURES_DIR   (the files tests/interop/run.sh has pacto write)
"""
import base64
import hashlib
import json
import struct
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Refused(Exception):
    """The input does not verify; the message says where and why."""


def sha256(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def b64d(s: str) -> bytes:
    raw = base64.b64decode(s, validate=True)
    if base64.b64encode(raw).decode() != s:
        raise Refused(f"not canonical standard base64: {s!r}")
    return raw


# --- Merkle tree (RFC 9162 section 2.1) ---------------------------------------------------

def leaf_hash(leaf: bytes) -> bytes:
    return sha256(b"\x00", leaf)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01", left, right)


class Frontier:
    """The right edge of the tree: enough to append and compute the root."""

    def __init__(self):
        self.size = 0
        self.edge = []

    def push(self, h: bytes):
        s = self.size
        while s & 1:
            h = node_hash(self.edge.pop(), h)
            s >>= 1
        self.edge.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self.edge:
            return sha256()
        r = self.edge[-1]
        for left in reversed(self.edge[:-1]):
            r = node_hash(left, r)
        return r


def verify_inclusion(index, size, leaf, path, root):
    if index >= size:
        raise Refused(f"index {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Refused("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Refused("inclusion proof too short")
    if r != root:
        raise Refused("inclusion proof does not lead to the root")


def verify_consistency(old, new, old_root, new_root, path):
    if not 0 < old <= new:
        raise Refused(f"sizes {old} -> {new} cannot have a consistency proof")
    if old == new:
        if path or old_root != new_root:
            raise Refused("equal sizes need an empty proof and equal roots")
        return
    if old & (old - 1) == 0:  # a power of two: the old root is the proof's first hash
        path = [old_root] + list(path)
    if not path:
        raise Refused("consistency proof is empty")
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Refused("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Refused("consistency proof too short")
    if fr != old_root:
        raise Refused("consistency proof does not lead to the old root")
    if sr != new_root:
        raise Refused("consistency proof does not lead to the new root")


# --- Signed notes, checkpoints, cosignatures (C2SP) ---------------------------------------

def key_id(name: str, sig_type: int, pub: bytes) -> bytes:
    return sha256(name.encode(), b"\n", bytes([sig_type]), pub)[:4]


def parse_note(text: str):
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise Refused("a control character in the note")
    if not text.endswith("\n"):
        raise Refused("the note does not end with a newline")
    sep = text.rfind("\n\n")
    if sep < 0:
        raise Refused("no blank line before the signatures")
    body, block = text[: sep + 1], text[sep + 2:]
    sigs = []
    for line in block.splitlines():
        if not line.startswith("\u2014 "):
            raise Refused(f"bad signature line {line!r}")
        name, _, sig = line[2:].partition(" ")
        if not name or "+" in name or any(c.isspace() for c in name):
            raise Refused(f"bad key name {name!r}")
        raw = b64d(sig)
        if len(raw) < 5:
            raise Refused("signature too short")
        sigs.append((name, raw[:4], raw[4:]))
    if not sigs:
        raise Refused("no signatures")
    return body, sigs


def parse_checkpoint_body(body: str):
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise Refused("a checkpoint has an origin, a size and a root line")
    size_text = lines[1]
    if not size_text.isdigit() or not size_text.isascii() or (len(size_text) > 1 and size_text[0] == "0"):
        raise Refused(f"bad tree size {size_text!r}")
    root = b64d(lines[2])
    if len(root) != 32:
        raise Refused("the root is not 32 bytes")
    if any(not e for e in lines[3:]):
        raise Refused("an empty extension line")
    return lines[0], int(size_text), root


def check_signed(body: str, sigs, name: str, pub: bytes):
    """The note carries at least one signature by key `pub` under `name`, and each verifies."""
    kid = key_id(name, 0x01, pub)
    mine = [s for (n, k, s) in sigs if n == name and k == kid]
    if not mine:
        raise Refused(f"the checkpoint is not signed by {name}")
    for s in mine:
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(s, body.encode())
        except InvalidSignature:
            raise Refused("the checkpoint's signature does not verify") from None


def open_checkpoint(text: str, origin: str, pub: bytes):
    """Verify the log's signature (key name = origin, type 0x01) and read the body."""
    body, sigs = parse_note(text)
    check_signed(body, sigs, origin, pub)
    got_origin, size, root = parse_checkpoint_body(body)
    if got_origin != origin:
        raise Refused(f"the checkpoint is for {got_origin}, not {origin}")
    return {"size": size, "root": root, "body": body, "sigs": sigs}


def verify_cosignature(cp, name: str, pub: bytes) -> int:
    kid = key_id(name, 0x04, pub)
    found = None
    for n, k, s in cp["sigs"]:
        if n != name or k != kid:
            continue
        if len(s) != 72:
            raise Refused("a cosignature is 8 bytes of time and 64 of signature")
        (ts,) = struct.unpack(">Q", s[:8])
        msg = f"cosignature/v1\ntime {ts}\n".encode() + cp["body"].encode()
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(s[8:], msg)
        except InvalidSignature:
            raise Refused(f"the cosignature by {name} does not verify") from None
        found = ts
    if found is None:
        raise Refused(f"no cosignature by {name}")
    return found


def parse_vkey(text: str):
    name, kid, key = text.strip().split("+", 2)
    raw = b64d(key)
    if key_id(name, raw[0], raw[1:]).hex() != kid:
        raise Refused("the verifier key's id does not match")
    return name, raw[0], raw[1:]


# --- Ledger entries and exports (docs/ledger.md) ------------------------------------------

def leaf_bytes(e: dict) -> bytes:
    fields = [
        str(e["seq"]), e["time"], e["partner"], e["kind"], e["collection"],
        "\0" if e["object_id"] is None else e["object_id"],
        "\0" if e["object_version"] is None else e["object_version"],
        e["digest"], e["prev"],
    ]
    out = bytearray(b"pacto-ledger-entry\n")
    for f in fields:
        b = f.encode()
        out += struct.pack(">Q", len(b)) + b
    return bytes(out)


def origin_of(pub: bytes) -> str:
    return "pacto/ledger/" + hashlib.sha256(pub).digest()[:16].hex()


ENTRY_FIELDS = {"seq", "time", "partner", "kind", "collection", "object_id", "object_version", "digest", "prev", "hash"}


def rotation_keys(e: dict):
    """A key rotation entry's (old, new) keys, checked; None for any other entry."""
    if e["kind"] != "key-rotation":
        return None
    old, new = bytes.fromhex(e["object_id"] or ""), bytes.fromhex(e["object_version"] or "")
    if len(old) != 32 or len(new) != 32 or old == new:
        raise Refused(f"entry {e['seq']}: a key rotation names two different Ed25519 keys")
    if e["digest"] != hashlib.sha256(f"{old.hex()}\n{new.hex()}".encode()).hexdigest():
        raise Refused(f"entry {e['seq']}: a key rotation's digest is of its two keys")
    return old, new


def verify_export(text: str, pub: bytes, held: str | None = None) -> int:
    """Returns the number of entries; raises Refused saying where and why. `pub` may be any
    key the log was handed to: the header names the first, each rotation the next."""
    held_cp = None
    if held is not None:
        hbody, _ = parse_note(held)
        _, hsize, _ = parse_checkpoint_body(hbody)
        held_cp = {"size": hsize}
    keys, pending = [], None
    frontier, prev, last_signed, header, held_root = Frontier(), "0" * 64, 0, False, None
    if held_cp and held_cp["size"] == 0:
        held_root = frontier.root()
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if not header:
            if obj.get("format") != "pacto-ledger":
                raise Refused(f"line {no}: not a pacto ledger export header")
            if obj.get("version") != 2:
                raise Refused(f"line {no}: version {obj.get('version')} (only version 2 proves coverage)")
            first = bytes.fromhex(obj.get("public_key") or "")
            if len(first) != 32 or obj.get("origin") != origin_of(first):
                raise Refused(f"line {no}: the header's key and origin do not go together")
            keys.append(first)
            header = True
        elif set(obj) == {"entry"}:
            e = obj["entry"]
            seq = frontier.size + 1
            if set(e) - ENTRY_FIELDS or not {"seq", "time", "partner", "kind", "collection", "digest", "prev", "hash"} <= set(e):
                raise Refused(f"line {no}: not an entry")
            e.setdefault("object_id", None)
            e.setdefault("object_version", None)
            if pending:
                raise Refused(f"entry {seq} (line {no}): a key rotation must be followed by its head signed by both keys")
            rot = rotation_keys(e)
            if rot:
                if rot[0] != keys[-1]:
                    raise Refused(f"entry {seq}: hands the log over from a key that is not the one signing it")
                pending = rot[1]
            if e["seq"] != seq:
                raise Refused(f"entry {e['seq']} (line {no}): found where entry {seq} should be")
            if e["prev"] != prev:
                raise Refused(f"entry {seq} (line {no}): does not follow from the entry before it")
            if "\0" in (e["object_id"], e["object_version"]):
                raise Refused(f"entry {seq} (line {no}): a lone NUL object field")
            if len(e["digest"]) != 64 or any(c not in "0123456789abcdef" for c in e["digest"]):
                raise Refused(f"entry {seq} (line {no}): the digest is not lowercase hex SHA-256")
            leaf = leaf_bytes(e)
            if hashlib.sha256(leaf).hexdigest() != e["hash"]:
                raise Refused(f"entry {seq} (line {no}): its content does not match its hash (edited)")
            frontier.push(leaf_hash(leaf))
            prev = e["hash"]
            if held_cp and frontier.size == held_cp["size"]:
                held_root = frontier.root()
        elif set(obj) == {"checkpoint"}:
            if pending:
                cp = open_checkpoint(obj["checkpoint"], origin_of(pending), pending)
                check_signed(cp["body"], cp["sigs"], origin_of(keys[-1]), keys[-1])
                keys.append(pending)
                pending = None
            else:
                cp = open_checkpoint(obj["checkpoint"], origin_of(keys[-1]), keys[-1])
            if cp["size"] != frontier.size:
                raise Refused(f"line {no}: a checkpoint of size {cp['size']} after entry {frontier.size}")
            if cp["root"] != frontier.root():
                raise Refused(f"line {no}: one of entries {last_signed + 1}..{cp['size']} differs from what was signed")
            last_signed = cp["size"]
        else:
            raise Refused(f"line {no}: neither an entry nor a checkpoint")
    if frontier.size == 0:
        raise Refused("the export holds no entries")
    if last_signed < frontier.size or pending:
        raise Refused(f"entries {last_signed + 1}..{frontier.size} are not covered by a signed checkpoint")
    if pub not in keys:
        raise Refused("the log was never signed by the trusted key (neither its first nor one handed over)")
    if held is not None:
        for k in keys:
            try:
                held_cp = open_checkpoint(held, origin_of(k), k)
                break
            except Refused:
                continue
        else:
            raise Refused("the checkpoint held is signed by none of the log's keys")
    if held_cp:
        if held_cp["size"] > frontier.size:
            raise Refused(f"cut short: entries {frontier.size + 1}..{held_cp['size']} are missing")
        if held_root != held_cp["root"]:
            raise Refused(f"forked: entries 1..{held_cp['size']} differ from the checkpoint held")
    return frontier.size


def verify_inclusion_doc(doc: dict, pub: bytes):
    if doc["type"] != "pacto-ledger-inclusion":
        raise Refused("not an inclusion proof")
    cp = open_checkpoint(doc["checkpoint"], origin_of(pub), pub)
    e, p = doc["entry"], doc["proof"]
    leaf = leaf_bytes(e)
    if hashlib.sha256(leaf).hexdigest() != e["hash"] or leaf_hash(leaf) != b64d(p["leaf_hash"]):
        raise Refused(f"entry {e['seq']}: its content does not match its hash")
    if p["index"] != e["seq"] - 1 or p["tree_size"] != cp["size"]:
        raise Refused("the proof is for another position or size")
    verify_inclusion(p["index"], p["tree_size"], leaf_hash(leaf), [b64d(h) for h in p["path"]], cp["root"])


def follow_handovers(history: dict):
    """The log's keys, first to newest, from its key history (docs/ledger.md §8): each rotation
    entry names the key before and the next, its head opens under the next key, carries the
    key before's signature, and includes the entry as its last leaf; and each handover head lies
    in the log of the history's newest head (`head`, signed by the newest key): its `to_head`
    consistency proof leads from the handover head to that head. Returns (keys, seqs, head)."""
    keys, seqs, heads = [], [], []
    for h in history["rotations"]:
        e = h["entry"]
        e.setdefault("object_id", None)
        e.setdefault("object_version", None)
        rot = rotation_keys(e)
        if not rot:
            raise Refused(f"the key history's entry {e['seq']} is not a key rotation")
        old, new = rot
        if keys and old != keys[-1]:
            raise Refused(f"the key rotation at entry {e['seq']} hands over from a key that did not hold the log")
        if seqs and e["seq"] <= seqs[-1]:
            raise Refused(f"the key rotations are out of order at entry {e['seq']}")
        leaf = leaf_bytes(e)
        if hashlib.sha256(leaf).hexdigest() != e["hash"]:
            raise Refused(f"the key rotation at entry {e['seq']}: its content does not match its hash")
        cp = open_checkpoint(h["checkpoint"], origin_of(new), new)
        try:
            check_signed(cp["body"], cp["sigs"], origin_of(old), old)
        except Refused as why:
            raise Refused(f"the key rotation at entry {e['seq']}: the handover head is not signed by the old key ({why})") from None
        if cp["size"] != e["seq"]:
            raise Refused(f"the key rotation at entry {e['seq']}: its head is of size {cp['size']}")
        verify_inclusion(e["seq"] - 1, e["seq"], leaf_hash(leaf), [b64d(x) for x in h["inclusion"]], cp["root"])
        if not keys:
            keys.append(old)
        if new in keys:
            raise Refused(f"the key rotation at entry {e['seq']} returns to a key used before")
        keys.append(new)
        seqs.append(e["seq"])
        heads.append((e["seq"], cp["root"], [b64d(x) for x in h.get("to_head", [])]))
    if not heads:
        return keys, seqs, None
    if not history.get("head"):
        raise Refused("the key history carries no newest head, so nothing proves its handovers lie in the log the newest key signs")
    head = open_checkpoint(history["head"], origin_of(keys[-1]), keys[-1])
    for seq, root, path in heads:
        try:
            verify_consistency(seq, head["size"], root, head["root"], path)
        except Refused as why:
            raise Refused(f"the newest head (size {head['size']}) does not extend the handover at entry {seq}: {why}") from None
    return keys, seqs, head


def open_in_ring(text: str, keys, seqs):
    """A checkpoint signed by key i of the ring while it held the log: from the rotation that
    handed it the log (seqs[i-1]) to the one that handed it on (seqs[i])."""
    body, _ = parse_note(text)
    origin, _, _ = parse_checkpoint_body(body)
    for i, k in enumerate(keys):
        if origin_of(k) == origin:
            cp = open_checkpoint(text, origin, k)
            if i < len(seqs) and cp["size"] > seqs[i]:
                raise Refused(f"a checkpoint of size {cp['size']} signed by a key that handed the log over at entry {seqs[i]}")
            if i > 0 and cp["size"] < seqs[i - 1]:
                raise Refused(f"a checkpoint of size {cp['size']} signed by a key before it held the log")
            return cp
    raise Refused("a checkpoint signed by none of the log's keys")


def verify_consistency_doc(doc: dict, pub: bytes):
    """A consistency proof (docs/ledger.md §5); across key rotations, the key history it
    carries must take the trusted key (or lead to it) through handovers signed by both keys."""
    if doc["type"] != "pacto-ledger-consistency":
        raise Refused("not a consistency proof")
    if set(doc) - {"type", "old_checkpoint", "proof", "checkpoint", "keys"}:
        raise Refused("unknown fields in the proof")
    keys, seqs, head = follow_handovers(doc.get("keys") or {"rotations": []})
    if not keys:
        keys = [pub]
    elif pub not in keys:
        raise Refused("the trusted key is none of the keys the history hands the log over between")
    old = open_in_ring(doc["old_checkpoint"], keys, seqs)
    new = open_in_ring(doc["checkpoint"], keys, seqs)
    if head is not None and (head["size"], head["root"]) != (new["size"], new["root"]):
        raise Refused("the key history's newest head is not the proof's new checkpoint")
    p = doc["proof"]
    if (p["old_size"], p["new_size"]) != (old["size"], new["size"]):
        raise Refused("the proof's sizes are not the checkpoints'")
    verify_consistency(old["size"], new["size"], old["root"], new["root"], [b64d(h) for h in p["path"]])


def verify_receipt(header: str, pub: bytes, partner: str, body: bytes, held: str | None):
    """A receipt (the X-Pacto-Receipt header's value, docs/ledger.md): signed by the node,
    for this partner and this exact body, its response entry in the signed log, and that log
    extending the checkpoint the partner held."""
    r = json.loads(b64d(header))
    if r["type"] != "pacto-receipt" or bytes.fromhex(r["public_key"]) != pub:
        raise Refused("not a receipt of this node's key")
    origin = origin_of(pub)
    cp = open_checkpoint(r["checkpoint"], origin, pub)
    e = r["entry"]
    leaf = leaf_bytes(e)
    if hashlib.sha256(leaf).hexdigest() != e["hash"]:
        raise Refused(f"entry {e['seq']}: its content does not match its hash")
    if e["kind"] != "response" or e["partner"] != partner:
        raise Refused("not a response entry for this partner")
    if e["digest"] != hashlib.sha256(body).hexdigest():
        raise Refused("the body received is not the body recorded")
    if not 1 <= r["first"] <= e["seq"] or cp["size"] != e["seq"]:
        raise Refused("the receipt's positions do not fit its checkpoint")
    verify_inclusion(e["seq"] - 1, cp["size"], leaf_hash(leaf), [b64d(h) for h in r["inclusion"]], cp["root"])
    if held:
        old = open_checkpoint(held, origin, pub)
        if old["size"] > cp["size"]:
            raise Refused("the log shrank: truncated or forked")
        if old["size"] < cp["size"]:
            c = r.get("consistency")
            if not c or c["old_size"] != old["size"]:
                raise Refused("no proof that the log extends the checkpoint held")
            verify_consistency(old["size"], cp["size"], old["root"], cp["root"], [b64d(h) for h in c["path"]])
        elif old["root"] != cp["root"]:
            raise Refused("another log of the same size: forked")
    return e["seq"]


# --- The run: everything verifies; everything spoiled is refused ---------------------------

def refused(what: str, f, *args):
    try:
        f(*args)
    except (Refused, ValueError, KeyError, TypeError) as e:
        print(f"  refused as it should be: {what}: {e}")
        return
    raise SystemExit(f"FAIL: {what} was accepted")


def main():
    d = Path(sys.argv[1])
    pub = bytes.fromhex((d / "public_key.hex").read_text().strip())
    name, kind, raw = parse_vkey((d / "log.vkey").read_text())
    assert (name, kind, raw) == (origin_of(pub), 1, pub), "the log's vkey names its origin and key"
    export = (d / "export.jsonl").read_text()
    held10 = (d / "checkpoint-10.txt").read_text()
    cp23 = (d / "checkpoint-23.txt").read_text()

    n = verify_export(export, pub, held10)
    print(f"export: {n} entries, every one under a checkpoint signed by {origin_of(pub)}; extends the held checkpoint of 10")
    wname, wkind, wpub = parse_vkey((d / "witness.vkey").read_text())
    assert wkind == 4
    ts = verify_cosignature(open_checkpoint(cp23, origin_of(pub), pub), wname, wpub)
    print(f"cosignature by {wname} at {ts}: verified")
    verify_inclusion_doc(json.loads((d / "inclusion.json").read_text()), pub)
    print("inclusion proof: verified")
    verify_consistency_doc(json.loads((d / "consistency.json").read_text()), pub)
    print("consistency proof: verified")

    lines = export.split("\n")
    entry_lines = [i for i, l in enumerate(lines) if l.startswith('{"entry"')]
    edited = list(lines)
    edited[entry_lines[2]] = edited[entry_lines[2]].replace('"partner":"us"', '"partner":"nobody"', 1)
    refused("an edited entry", verify_export, "\n".join(edited), pub)
    no_cps = "\n".join(l for l in lines if not l.startswith('{"checkpoint"'))
    refused("an export without checkpoints", verify_export, no_cps, pub)
    refused("an empty export", verify_export, "", pub)
    refused("a header-only export", verify_export, lines[0] + "\n", pub)
    cut_at = next(i for i, l in enumerate(lines) if l.startswith('{"checkpoint"'))
    cut = "\n".join(lines[: cut_at + 1])
    assert verify_export(cut, pub) == 10, "a cut export alone is an older export"
    refused("a cut export, holding the later checkpoint", verify_export, cut, pub, cp23)
    refused("another key", verify_export, export, wpub)
    refused("a cosignature over another checkpoint", verify_cosignature,
            open_checkpoint(held10, origin_of(pub), pub) | {"sigs": open_checkpoint(cp23, origin_of(pub), pub)["sigs"]}, wname, wpub)
    inc = json.loads((d / "inclusion.json").read_text())
    inc["proof"]["path"][0] = base64.b64encode(bytes(32)).decode()
    refused("an altered inclusion proof", verify_inclusion_doc, inc, pub)
    con = json.loads((d / "consistency.json").read_text())
    con["proof"]["path"] = con["proof"]["path"][:-1]
    refused("a shortened consistency proof", verify_consistency_doc, con, pub)
    receipt = (d / "receipt.txt").read_text().strip()
    body = (d / "receipt-body.json").read_bytes()
    seq = verify_receipt(receipt, pub, "us", body, cp23)
    print(f"receipt: entry {seq} records this very body, in the signed log, extending the checkpoint held")
    refused("a receipt for another body", verify_receipt, receipt, pub, "us", body + b" ", cp23)
    refused("a receipt for another partner", verify_receipt, receipt, pub, "ca", body, cp23)
    r = json.loads(b64d(receipt))
    r["consistency"]["path"][0] = base64.b64encode(bytes(32)).decode()
    spoiled = base64.b64encode(json.dumps(r).encode()).decode()
    refused("a receipt whose log does not extend the checkpoint held", verify_receipt, spoiled, pub, "us", body, cp23)
    rotated = (d / "rotated.jsonl").read_text()
    new_pub = bytes.fromhex((d / "rotated-new-key.hex").read_text().strip())
    for k, who in ((pub, "the old key"), (new_pub, "the new key")):
        n = verify_export(rotated, k, held10)
        print(f"rotated export: {n} entries, verified under {who}")
    rlines = rotated.split("\n")
    rot_at = next(i for i, l in enumerate(rlines) if '"kind":"key-rotation"' in l)
    alone = (d / "rotated-handover-new-only.txt").read_text()
    forged = list(rlines)
    forged[rot_at + 1] = json.dumps({"checkpoint": alone})
    refused("a handover signed by the new key alone", verify_export, "\n".join(forged), new_pub)
    refused("a rotated export under a stranger's key", verify_export, rotated, wpub)
    rcon = json.loads((d / "rotated-consistency.json").read_text())
    for k, who in ((pub, "the old key"), (new_pub, "the new key")):
        verify_consistency_doc(json.loads(json.dumps(rcon)), k)
        print(f"consistency proof across the rotation (10 -> 25): verified under {who}")
    bare = dict(rcon)
    del bare["keys"]
    refused("a proof across the rotation without its key history", verify_consistency_doc, bare, pub)
    forged = json.loads(json.dumps(rcon))
    forged["keys"]["rotations"][0]["checkpoint"] = alone
    refused("a proof across a handover signed by the new key alone", verify_consistency_doc, forged, pub)
    forged = json.loads(json.dumps(rcon))
    forged["keys"]["rotations"][0]["entry"]["object_version"] = wpub.hex()
    refused("a proof across an altered rotation entry", verify_consistency_doc, forged, pub)
    refused("a proof across the rotation for a stranger's key", verify_consistency_doc, json.loads(json.dumps(rcon)), wpub)
    forged = json.loads(json.dumps(rcon))
    forged["checkpoint"] = rcon["old_checkpoint"].replace("\n10\n", "\n25\n")
    refused("a new head not signed by the new key", verify_consistency_doc, forged, pub)
    other = json.loads((d / "rotated-consistency-other-history.json").read_text())
    refused("a head the new key signed over a history without the handover", verify_consistency_doc, other, pub)
    refused("… the same, trusting the new key", verify_consistency_doc, json.loads(json.dumps(other)), new_pub)
    forged = json.loads(json.dumps(other))
    forged["keys"] = rcon["keys"]
    refused("a head of another history with the genuine history tied to the genuine head", verify_consistency_doc, forged, pub)
    forged = json.loads(json.dumps(rcon))
    del forged["keys"]["head"]
    refused("a proof across the rotation whose history carries no newest head", verify_consistency_doc, forged, pub)
    print("verify_ledger.py: all checks passed")


if __name__ == "__main__":
    main()
