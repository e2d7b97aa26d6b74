/**
 * What integration tests share: the one place they get a Kafka broker (external, Testcontainers, or
 * embedded), and services run as separate OS processes for crash tests.
 */
package io.alignstream.testkit;
