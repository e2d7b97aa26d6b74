package io.alignstream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaFixture.class)
class TopicAdminIT {
  @Test
  void ensureTwiceCreatesThenFindsTheRunWithItsConfigs(KafkaConnection kafka) throws Exception {
    Topics topics = Topics.forRun(KafkaFixture.uniqueRunId("admin"));
    try (TopicAdmin admin = TopicAdmin.open(kafka)) {
      // When the run's topics are ensured twice
      List<TopicAdmin.TopicState> first = admin.ensure(topics);
      List<TopicAdmin.TopicState> second = admin.ensure(topics);

      // Then the first call created them all and the second found them all
      assertTrue(first.stream().allMatch(t -> t.outcome() == TopicAdmin.Outcome.CREATED), first::toString);
      assertTrue(second.stream().allMatch(t -> t.outcome() == TopicAdmin.Outcome.EXISTED), second::toString);
      assertEquals(topics.all().stream().map(Topic::name).toList(), second.stream().map(TopicAdmin.TopicState::name).toList());
      assertTrue(admin.runs().contains(topics.runId()));
    }
    // And the broker holds each topic's partitions and configs
    try (Admin admin = kafka.admin()) {
      var described = admin.describeTopics(topics.all().stream().map(Topic::name).toList())
          .allTopicNames().get(30, TimeUnit.SECONDS);
      for (Topic<?, ?> t : topics.all()) {
        assertEquals(t.partitions(), described.get(t.name()).partitions().size(), t.name());
      }
      assertEquals("compact", config(admin, topics.modelVersions.name()).get("cleanup.policy").value());
      assertEquals("compact", config(admin, topics.weightChunks.name()).get("cleanup.policy").value());
      assertEquals(Integer.toString(Topics.WEIGHT_RECORD_MAX_BYTES),
          config(admin, topics.weightChunks.name()).get("max.message.bytes").value());
      assertEquals(Integer.toString(Topics.WEIGHT_RECORD_MAX_BYTES),
          config(admin, topics.modelVersions.name()).get("max.message.bytes").value());
      assertEquals("-1", config(admin, topics.generations.name()).get("retention.ms").value());
    }
  }

  @Test
  void anExistingTopicWithOtherPartitionsIsReportedClearly(KafkaConnection kafka) throws Exception {
    // Given a run whose prompts topic was created by hand with too few partitions
    Topics topics = Topics.forRun(KafkaFixture.uniqueRunId("mismatch"));
    try (Admin admin = kafka.admin()) {
      admin.createTopics(List.of(new NewTopic(topics.prompts.name(), Optional.of(2), Optional.empty())))
          .all().get(30, TimeUnit.SECONDS);
    }
    // When its topics are ensured, Then the mismatch is named, with what to do about it
    try (TopicAdmin admin = TopicAdmin.open(kafka)) {
      var e = assertThrows(IllegalStateException.class, () -> admin.ensure(topics));
      assertTrue(e.getMessage().contains(topics.prompts.name() + " has 2 partitions, the run's layout needs "
          + Topics.SAMPLE_PARTITIONS), e.getMessage());
      assertTrue(e.getMessage().contains("new --run"), e.getMessage());
    }
  }

  private static Map<String, ConfigEntry> config(Admin admin, String topic) throws Exception {
    var resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
    var byName = new HashMap<String, ConfigEntry>();
    config.entries().forEach(e -> byName.put(e.name(), e));
    return byName;
  }
}
