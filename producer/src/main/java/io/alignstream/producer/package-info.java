/**
 * Demonstrations in: the {@code produce} command publishes them from files or stdin to the raw topic,
 * and the ingest topology validates what arrives there from any Kafka client, turns it into Avro
 * demonstrations and prompts, drops duplicates, and sends the rest, unchanged, to the dead-letter topic.
 */
package io.alignstream.producer;
