/**
 * The byte streams QMP travels on: addresses, connections, listeners and descriptor passing.
 *
 * <ul>
 *   <li>{@link org.qmp4j.transport.QmpAddress}: where a peer is ({@code unix:PATH}, {@code
 *       tcp:HOST:PORT}, {@code stdio}), parsed from and printed as text;
 *   <li>{@link org.qmp4j.transport.Transports}: connect, listen, adopt a channel, use stdio;
 *   <li>{@link org.qmp4j.transport.QmpConnection}: a blocking (or, for sockets, non-blocking) byte
 *       channel to one peer that can attach file descriptors to the bytes it writes;
 *   <li>{@link org.qmp4j.transport.QmpListener}: a listening socket that owns its socket file.
 * </ul>
 *
 * <p>The JDK's NIO channels are used by default. Descriptor passing (SCM_RIGHTS), which the JDK
 * lacks, uses junixsocket behind the same interfaces when {@link
 * org.qmp4j.transport.TransportOptions.Builder#descriptorPassing(boolean)} asks for it.
 *
 * <p>Nothing here knows QMP's messages: this layer moves bytes. Failures to connect or listen are
 * {@link org.qmp4j.protocol.QmpConnectionException}s; reads and writes throw {@link
 * java.io.IOException} as channels do. No method accepts {@code null} unless it says so.
 */
package org.qmp4j.transport;
