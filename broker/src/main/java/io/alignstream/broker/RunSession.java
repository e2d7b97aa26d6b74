package io.alignstream.broker;

import io.alignstream.schemas.Topics;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A service's link to Kafka for one run: the connection, the run's topics (already created), and
 * the in-process broker when the session had to start one.
 *
 * <p>Closing it stops that broker, if any; it never touches an external or shared broker.
 */
public final class RunSession implements AutoCloseable {
  private final KafkaConnection connection;
  private final Topics topics;
  private final List<TopicAdmin.TopicState> topicStates;
  private final EmbeddedBroker broker; // null unless the session started it

  RunSession(KafkaConnection connection, Topics topics, List<TopicAdmin.TopicState> topicStates, EmbeddedBroker broker) {
    this.connection = Objects.requireNonNull(connection);
    this.topics = Objects.requireNonNull(topics);
    this.topicStates = List.copyOf(topicStates);
    this.broker = broker;
  }

  public KafkaConnection connection() {
    return connection;
  }

  public Topics topics() {
    return topics;
  }

  /** What topic creation found or did when the session opened, in pipeline order. */
  public List<TopicAdmin.TopicState> topicStates() {
    return topicStates;
  }

  /** The broker this session started, if it started one. */
  public Optional<EmbeddedBroker> embeddedBroker() {
    return Optional.ofNullable(broker);
  }

  @Override
  public void close() {
    if (broker != null) {
      broker.close();
    }
  }
}
