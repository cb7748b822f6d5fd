/**
 * Support for qmp4j's integration tests ({@code *IT}) against the real QEMU: {@link
 * org.qmp4j.testing.Qemu} finds {@code qemu-system-x86_64} and {@code qemu-ga} and skips a test
 * when they are missing (or fails it when {@code CI=true}); {@link org.qmp4j.testing.QemuProcess}
 * and {@link org.qmp4j.testing.GuestAgentProcess} run them on temporary unix sockets for the length
 * of a test; {@link org.qmp4j.testing.RawConnection} reads exactly the bytes they send.
 *
 * <p>Not published. Depend on it with {@code <scope>test</scope>}.
 */
package org.qmp4j.testing;
