#!/usr/bin/env python3
"""Writes QEMU's query-qmp-schema output with real type names and precise integer types.

QEMU masks type names as numbers and prints every integer type as 'int'. Validation needs the
real thing ('uint8', 'size', 'StrOrNull', ...), so this script walks the captured output
(qemu-7.2-schema.json.gz, see QemuRecorder) side by side with QEMU's own QAPI schema, parsed with
QEMU's QAPI code from a source tree of the same version, and writes qmp4j's unmasked form
(qemu-7.2-schema-unmasked.json.gz). The captured output decides what exists (it reflects the
build's configuration); the source only supplies names and integer widths.
IntrospectionRoundTripTest checks that masking the result gives back exactly the captured output.

    python3 qmp4j-schema/src/test/scripts/qapi_unmask.py /work/qemu-src/qemu-7.2.0 \
        qmp4j-schema/src/test/resources/org/qmp4j/schema/qemu-7.2-schema.json.gz \
        qmp4j-schema/src/test/resources/org/qmp4j/schema/qemu-7.2-schema-unmasked.json.gz
"""
import gzip
import json
import sys

src, captured_file, out_file = sys.argv[1:4]
sys.path.insert(0, src + "/scripts")
from qapi.schema import (QAPISchema, QAPISchemaAlternateType,  # noqa: E402
                         QAPISchemaArrayType, QAPISchemaBuiltinType,
                         QAPISchemaEnumType, QAPISchemaObjectType)

schema = QAPISchema(src + "/qapi/qapi-schema.json")
captured = json.load(gzip.open(captured_file))
entries = {e["name"]: e for e in captured}
real = {}  # masked name -> QAPI type


def ref(typ):
    """The unmasked, precise name of a QAPI type as a reference."""
    if isinstance(typ, QAPISchemaArrayType):
        return "[" + ref(typ.element_type) + "]"
    return typ.name


def json_kind(typ):
    return typ.json_type()


def bind(masked, typ):
    """Records that the captured type called 'masked' is the QAPI type 'typ', recursively."""
    if masked.startswith("["):
        assert isinstance(typ, QAPISchemaArrayType), (masked, typ.name)
        bind(masked[1:-1], typ.element_type)
        return
    entry = entries[masked]
    if entry["meta-type"] == "builtin":
        assert isinstance(typ, QAPISchemaBuiltinType), (masked, typ.name)
        assert entry["json-type"] == typ.json_type(), (masked, typ.name)
        return
    if masked in real:
        assert real[masked] is typ, (masked, real[masked].name, typ.name)
        return
    real[masked] = typ
    if entry["meta-type"] == "object":
        assert isinstance(typ, QAPISchemaObjectType), (masked, typ.name)
        members = {m.name: m for m in typ.members}
        for m in entry["members"]:
            bind(m["type"], members[m["name"]].type)
        variants = {v.name: v for v in typ.variants.variants} if typ.variants else {}
        for v in entry.get("variants", []):
            bind(v["type"], variants[v["case"]].type)
    elif entry["meta-type"] == "alternate":
        assert isinstance(typ, QAPISchemaAlternateType), (masked, typ.name)
        branches = typ.variants.variants
        assert len(branches) == len(entry["members"]), masked
        for m, v in zip(entry["members"], branches):
            bind(m["type"], v.type)
    elif entry["meta-type"] == "enum":
        assert isinstance(typ, QAPISchemaEnumType), (masked, typ.name)


for e in captured:
    if e["meta-type"] in ("command", "event"):
        ent = schema.lookup_entity(e["name"])
        bind(e["arg-type"], ent.arg_type or schema.the_empty_object_type)
        if e["meta-type"] == "command":
            bind(e["ret-type"], ent.ret_type or schema.the_empty_object_type)


# Types QEMU lists although nothing in this build uses them (their only use is compiled out):
# find the one QAPI type of the same shape that nothing claimed.
claimed = {id(t) for t in real.values()}
for e in captured:
    if e["meta-type"] in ("object", "enum") and e["name"] not in real:
        names = [m["name"] for m in e["members"]]
        found = []
        for t in schema._entity_list:
            if id(t) in claimed:
                continue
            if e["meta-type"] == "enum" and isinstance(t, QAPISchemaEnumType):
                shape = [m.name for m in t.members]
            elif e["meta-type"] == "object" and isinstance(t, QAPISchemaObjectType) \
                    and not t.variants:
                shape = [m.name for m in t.members]
            else:
                continue
            if shape == names:
                found.append(t)
        assert len(found) == 1, (e, [t.name for t in found])
        bind(e["name"], found[0])
        print("unused in this build: %s is %s" % (e["name"], found[0].name), file=sys.stderr)


out = []
for e in captured:
    if e["meta-type"] in ("command", "event"):
        ent = schema.lookup_entity(e["name"])
        u = dict(e)
        u["arg-type"] = ref(ent.arg_type or schema.the_empty_object_type)
        if e["meta-type"] == "command":
            u["ret-type"] = ref(ent.ret_type or schema.the_empty_object_type)
        out.append(u)
for e in captured:
    if e["name"] not in real:
        continue
    masked, typ = e["name"], real[e["name"]]
    u = dict(e)
    u["name"] = typ.name
    if e["meta-type"] == "object":
        members = {m.name: m for m in typ.members}
        u["members"] = [dict(m, type=ref(members[m["name"]].type)) for m in e["members"]]
        if "variants" in e:
            variants = {v.name: v for v in typ.variants.variants}
            u["variants"] = [dict(v, type=ref(variants[v["case"]].type)) for v in e["variants"]]
    elif e["meta-type"] == "alternate":
        u["members"] = [{"type": ref(v.type)} for v in typ.variants.variants]
    out.append(u)
for b in schema._entity_list:
    if isinstance(b, QAPISchemaBuiltinType) and b.name != "QType":
        out.append({"name": b.name, "meta-type": "builtin", "json-type": b.json_type()})
with gzip.GzipFile(out_file, "wb", mtime=0) as f:
    f.write(json.dumps(out).encode())
print("%d entries, %d types unmasked" % (len(out), len(real)), file=sys.stderr)
missing = [e["name"] for e in captured
           if e["meta-type"] not in ("command", "event", "builtin", "array") and e["name"] not in real]
assert not missing, missing
