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
  /** Where the broker came from. */
  public enum Source {
    /** Named by {@code --bootstrap} or the client properties file. */
    EXTERNAL,
    /** A broker already answering on the default local address, e.g. {@code alignstream broker}. */
    LOCAL_BROKER,
    /** Started in this process for this session. */
    EMBEDDED
  }

  private final Source source;
  private final KafkaConnection connection;
  private final Topics topics;
  private final List<TopicAdmin.TopicState> topicStates;
  private final EmbeddedBroker broker; // null unless source is EMBEDDED

  RunSession(Source source, KafkaConnection connection, Topics topics, List<TopicAdmin.TopicState> topicStates,
      EmbeddedBroker broker) {
    this.source = Objects.requireNonNull(source);
    this.connection = Objects.requireNonNull(connection);
    this.topics = Objects.requireNonNull(topics);
    this.topicStates = List.copyOf(topicStates);
    this.broker = broker;
  }

  public Source source() {
    return source;
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
