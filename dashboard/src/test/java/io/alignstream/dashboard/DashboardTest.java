package io.alignstream.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.dashboard.MetricsStore.Point;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HTTP side with a store filled by hand: no broker. */
class DashboardTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> get(URI uri) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageAndTheApiOnLoopback() throws Exception {
    var store = new MetricsStore();
    store.add("reward.accuracy", "learner", new Point(1_000, 1, 0.625));
    store.add(SyntheticRun.event("learner", "stage", "loop", 1_000, Map.of("stage", "loop")));
    try (Dashboard dashboard = Dashboard.start(DashboardConfig.loopback("run<1>", 0), store)) {
      URI url = dashboard.url();
      assertEquals("127.0.0.1", url.getHost());
      assertTrue(dashboard.address().getAddress().isLoopbackAddress());
      assertTrue(url.getPort() > 0, "port 0 became a real port");

      HttpResponse<String> page = get(url);
      assertEquals(200, page.statusCode());
      assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
      assertTrue(page.body().contains("<title>run&lt;1&gt; · alignstream</title>"), "title escaped");
      assertFalse(page.body().contains("{{RUN_TITLE}}"));
      assertFalse(page.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing is loaded from elsewhere");

      HttpResponse<String> metrics = get(url.resolve("/api/metrics"));
      assertEquals(200, metrics.statusCode());
      assertEquals("application/json", metrics.headers().firstValue("Content-Type").orElseThrow());
      assertEquals(0.625, new ObjectMapper().readTree(metrics.body()).at("/reward.accuracy/learner/0/2").asDouble());

      HttpResponse<String> events = get(url.resolve("/api/events"));
      assertEquals("loop", new ObjectMapper().readTree(events.body()).get("stage").asText());
      assertEquals("run<1>", new ObjectMapper().readTree(events.body()).get("run").asText());

      assertEquals(404, get(url.resolve("/nope")).statusCode());
      var post = HTTP.send(HttpRequest.newBuilder(url.resolve("/api/metrics"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
    }
  }

  @Test
  void aTakenPortFailsWithAHint() {
    try (Dashboard first = Dashboard.start(DashboardConfig.loopback("a", 0), new MetricsStore())) {
      int port = first.address().getPort();
      var e = assertThrows(UncheckedIOException.class,
          () -> Dashboard.start(DashboardConfig.loopback("b", port), new MetricsStore()));
      assertTrue(e.getMessage().contains("choose another --port"), e.getMessage());
    }
  }

  @Test
  void closingStopsServing() throws Exception {
    URI url;
    try (Dashboard dashboard = Dashboard.start(DashboardConfig.loopback("a", 0), new MetricsStore())) {
      url = dashboard.url();
      assertEquals(200, get(url).statusCode());
    }
    URI closed = url;
    assertThrows(java.io.IOException.class, () -> get(closed));
  }
}
