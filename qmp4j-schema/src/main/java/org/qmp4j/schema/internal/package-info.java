/** Implementation of {@link org.qmp4j.schema}; not an API, may change at any time. */
package org.qmp4j.schema.internal;
