/**
 * The wire contract: the Avro records every service exchanges, their one serde factory, and every
 * topic bound once to its name, key and value types, partitions and configs.
 */
package io.alignstream.schemas;
