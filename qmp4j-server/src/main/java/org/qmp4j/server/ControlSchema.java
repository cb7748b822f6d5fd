package org.qmp4j.server;

import org.qmp4j.schema.QapiSchema;

/** QMP's control commands and their types, as QEMU 7.2 declares them (control.json). */
final class ControlSchema {
  private ControlSchema() {}

  static void declare(QapiSchema.Builder b) {
    b.enumType("QMPCapability", "oob")
        .command("qmp_capabilities", c -> c.args(o -> o.optional("enable", "[QMPCapability]")))
        .object(
            "VersionTriple",
            o -> o.member("major", "int").member("minor", "int").member("micro", "int"))
        .object("VersionInfo", o -> o.member("qemu", "VersionTriple").member("package", "str"))
        .command("query-version", c -> c.returns("VersionInfo"))
        .object("CommandInfo", o -> o.member("name", "str"))
        .command("query-commands", c -> c.returns("[CommandInfo]"))
        .command("query-qmp-schema", c -> c.returns("[SchemaInfo]"));
    declareIntrospection(b);
  }

  private static void declareIntrospection(QapiSchema.Builder b) {
    b.enumType(
            "SchemaMetaType", "builtin", "enum", "array", "object", "alternate", "command", "event")
        .object(
            "SchemaInfo",
            o ->
                o.member("name", "str")
                    .member("meta-type", "SchemaMetaType")
                    .optional("features", "[str]")
                    .tag("meta-type")
                    .variant("builtin", "SchemaInfoBuiltin")
                    .variant("enum", "SchemaInfoEnum")
                    .variant("array", "SchemaInfoArray")
                    .variant("object", "SchemaInfoObject")
                    .variant("alternate", "SchemaInfoAlternate")
                    .variant("command", "SchemaInfoCommand")
                    .variant("event", "SchemaInfoEvent"))
        .object("SchemaInfoBuiltin", o -> o.member("json-type", "JSONType"))
        .enumType(
            "JSONType", "string", "number", "int", "boolean", "null", "object", "array", "value")
        .object(
            "SchemaInfoEnum",
            o ->
                o.member("members", "[SchemaInfoEnumMember]")
                    .member("values", "[str]", "deprecated"))
        .object("SchemaInfoEnumMember", o -> o.member("name", "str").optional("features", "[str]"))
        .object("SchemaInfoArray", o -> o.member("element-type", "str"))
        .object(
            "SchemaInfoObject",
            o ->
                o.member("members", "[SchemaInfoObjectMember]")
                    .optional("tag", "str")
                    .optional("variants", "[SchemaInfoObjectVariant]"))
        .object(
            "SchemaInfoObjectMember",
            o ->
                o.member("name", "str")
                    .member("type", "str")
                    .optional("default", "any")
                    .optional("features", "[str]"))
        .object("SchemaInfoObjectVariant", o -> o.member("case", "str").member("type", "str"))
        .object("SchemaInfoAlternate", o -> o.member("members", "[SchemaInfoAlternateMember]"))
        .object("SchemaInfoAlternateMember", o -> o.member("type", "str"))
        .object(
            "SchemaInfoCommand",
            o ->
                o.member("arg-type", "str").member("ret-type", "str").optional("allow-oob", "bool"))
        .object("SchemaInfoEvent", o -> o.member("arg-type", "str"));
  }
}
