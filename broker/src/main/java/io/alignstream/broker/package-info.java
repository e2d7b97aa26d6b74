/**
 * Kafka plumbing: the embedded KRaft broker, client settings, idempotent topic creation, and what every
 * command shares to reach a cluster and to stop cleanly on a signal.
 *
 * <p>One name per concept: {@link io.alignstream.broker.KafkaConnection} is how clients talk to a
 * cluster (address and client settings); {@link io.alignstream.broker.ClusterOptions} the command-line
 * options that say where the cluster is; {@link io.alignstream.broker.RunOptions} those and the run;
 * {@link io.alignstream.broker.RunSession} what opening them gives: the connection, the run's topics
 * (created), and the broker this process started, if it had to.
 */
package io.alignstream.broker;
