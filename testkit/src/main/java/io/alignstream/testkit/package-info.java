/** The one place integration tests get a Kafka broker: external, Testcontainers, or embedded. */
package io.alignstream.testkit;
