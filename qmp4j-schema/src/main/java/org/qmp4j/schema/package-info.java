/**
 * The QAPI schema model in its introspection form: what commands, events and types a QMP server
 * offers ({@link org.qmp4j.schema.QapiSchema}), libvirt-style path queries on it, and validation of
 * command arguments with QEMU 7.2's error texts and coercions.
 *
 * <p>Threading: every type in this package is immutable and thread-safe, except the builders.
 * Nulls: methods reject {@code null} arguments unless their documentation allows them; optional
 * results are {@link java.util.Optional}. Errors in arguments are reported as {@link
 * org.qmp4j.protocol.QmpErrorException}, exactly as QEMU would report them, so that a server can
 * send them back unchanged.
 */
package org.qmp4j.schema;
