/**
 * Running across several hosts: {@code compose/compose.yaml} (a three-node Kafka cluster and every
 * service as a container), {@code compose/samplers.yaml} (more samplers on other hosts) and the
 * image they run ({@code compose/Dockerfile}). No code: the module's test checks those files
 * against the real command line, broker settings and topics.
 */
package io.alignstream.compose;
