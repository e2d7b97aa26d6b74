/** Kafka plumbing: the embedded KRaft broker, client settings, and idempotent topic creation. */
package io.alignstream.broker;
