package io.alignstream.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.dashboard.MetricsStore.Point;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DashboardJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void metricsAreNameThenSourceThenTimestampStepValueTriples() throws Exception {
    var store = new MetricsStore();
    store.add("reward.accuracy", "learner", new Point(1_000, 1, 0.5));
    store.add("reward.accuracy", "learner", new Point(2_000, 2, 0.75));
    store.add("sampler.policy_version", "sampler-1", new Point(1_500, 9, 3));
    store.add("policy.loss", "learner", new Point(3_000, 3, Double.NaN));

    JsonNode root = JSON.readTree(DashboardJson.metrics(store));

    assertEquals(List.of("policy.loss", "reward.accuracy", "sampler.policy_version"), fieldNames(root));
    JsonNode acc = root.get("reward.accuracy").get("learner");
    assertEquals(2, acc.size());
    assertEquals(2_000, acc.get(1).get(0).asLong());
    assertEquals(2, acc.get(1).get(1).asLong());
    assertEquals(0.75, acc.get(1).get(2).asDouble());
    assertEquals(3.0, root.get("sampler.policy_version").get("sampler-1").get(0).get(2).asDouble());
    assertTrue(root.get("policy.loss").get("learner").get(0).get(2).isNull(), "NaN is not JSON: written as null");
  }

  @Test
  void anEmptyStoreIsAnEmptyObject() throws Exception {
    assertEquals("{}", new String(DashboardJson.metrics(new MetricsStore())));
    JsonNode events = JSON.readTree(DashboardJson.events(new MetricsStore(), "r"));
    assertTrue(events.get("stage").isNull());
    assertEquals(0, events.get("events").size());
  }

  @Test
  void eventsCarryTheRunTheLatestStageCountersAndEventsNewestFirst() throws Exception {
    var store = new MetricsStore();
    store.add(SyntheticRun.event("learner", "stage", "sft: reading", 1, Map.of("stage", "sft")));
    store.add(SyntheticRun.event("learner", "stage", "loop: SFT done", 2, Map.of("stage", "loop", "version", "1")));
    store.add(SyntheticRun.event("sampler-1", "version-loaded", "policy v1 <loaded>", 3, Map.of()));
    store.countUndecodable();

    JsonNode root = JSON.readTree(DashboardJson.events(store, "run-7"));

    assertEquals("run-7", root.get("run").asText());
    assertEquals("loop", root.get("stage").asText(), "the latest stage event's stage attribute");
    assertEquals(1, root.get("undecodable").asLong());
    assertEquals(3, root.get("eventsSeen").asLong());
    JsonNode first = root.get("events").get(0);
    assertEquals(List.of("source", "kind", "message", "timestampMs", "attributes"), fieldNames(first));
    assertEquals("policy v1 <loaded>", first.get("message").asText());
    assertEquals("1", root.get("events").get(1).get("attributes").get("version").asText());
  }

  @Test
  void aStageEventWithoutTheAttributeShowsItsMessage() throws Exception {
    var store = new MetricsStore();
    store.add(SyntheticRun.event("learner", "stage", "warming up", 1, Map.of()));
    assertEquals("warming up", JSON.readTree(DashboardJson.events(store, "r")).get("stage").asText());
  }

  private static List<String> fieldNames(JsonNode node) {
    var names = new java.util.ArrayList<String>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
