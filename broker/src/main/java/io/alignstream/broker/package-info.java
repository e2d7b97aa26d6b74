/**
 * Kafka plumbing: the embedded KRaft broker, client settings, idempotent topic creation, and what every
 * command shares to reach a cluster and to stop cleanly on a signal.
 */
package io.alignstream.broker;
