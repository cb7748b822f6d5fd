package org.qmp4j.schema.internal;

import java.util.List;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;
import org.qmp4j.schema.SchemaType;

/** What the internal readers, writers and visitors need to know of a schema. */
public interface SchemaIndex {

  /** The type called {@code name} (arrays {@code [T]} included), or {@code null}. */
  SchemaType type(String name);

  /** The command called {@code name}, or {@code null}. */
  SchemaCommand command(String name);

  /** The event called {@code name}, or {@code null}. */
  SchemaEvent event(String name);

  /** Commands and events in declaration order. */
  List<Record> entities();

  /**
   * Named types that introspection must list even if no command or event uses them, in the order
   * they were listed: the types of a schema read from introspection (QEMU lists types whose only
   * use is compiled out of its build). Empty for a schema built in code.
   */
  List<String> listedTypes();

  /**
   * Whether the schema's {@code int} stands for any of QAPI's integer types, as in QEMU's masked
   * introspection, which prints them all as {@code int}; then it accepts every integer QEMU accepts
   * for one of them (-2<sup>63</sup> to 2<sup>64</sup>-1).
   */
  boolean integersWidened();
}
