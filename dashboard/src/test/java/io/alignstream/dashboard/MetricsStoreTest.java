package io.alignstream.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.dashboard.MetricsStore.Point;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MetricsStoreTest {
  @Test
  void aSeriesStaysBoundedKeepsItsFirstAndLatestPointsAndStaysInOrder() {
    var store = new MetricsStore(100, 10);
    for (int i = 0; i < 10_000; i++) {
      store.add("policy.loss", "learner", new Point(1_000L + i, i, i * 0.5));
    }
    List<Point> points = store.series("policy.loss", "learner");
    assertTrue(points.size() <= 100, "kept " + points.size());
    assertTrue(points.size() >= 75, "thinning frees only a quarter at a time, kept " + points.size());
    assertEquals(0, points.get(0).step(), "the run's first point is kept");
    assertEquals(9_999, points.get(points.size() - 1).step(), "the latest point is kept");
    for (int i = 1; i < points.size(); i++) {
      assertTrue(points.get(i).timestampMs() > points.get(i - 1).timestampMs(), "in time order at " + i);
    }
    // The recent half is at full resolution: the last 40 points are consecutive steps.
    for (int i = points.size() - 40; i < points.size(); i++) {
      assertEquals(points.get(i - 1).step() + 1, points.get(i).step(), "recent points are all kept");
    }
    assertEquals(10_000, store.metricsSeen());
  }

  @Test
  void seriesAreKeptPerNameAndSource() {
    var store = new MetricsStore();
    store.add(SyntheticRun.metric("sampler-1", "sampler.policy_version", 3, 1, 3, 10));
    store.add(SyntheticRun.metric("sampler-2", "sampler.policy_version", 2, 1, 2, 11));
    store.add(SyntheticRun.metric("learner", "policy.loss", 0.5, 1, 3, 12));
    Map<String, Map<String, List<Point>>> snapshot = store.snapshot();
    assertEquals(List.of("policy.loss", "sampler.policy_version"), List.copyOf(snapshot.keySet()));
    assertEquals(List.of("sampler-1", "sampler-2"), List.copyOf(snapshot.get("sampler.policy_version").keySet()));
    assertEquals(List.of(new Point(11, 1, 2)), store.series("sampler.policy_version", "sampler-2"));
    assertEquals(List.of(), store.series("nope", "learner"));
  }

  @Test
  void onlyTheLastEventsAreKeptButTheLatestStageIsRemembered() {
    var store = new MetricsStore(10, 5);
    store.add(SyntheticRun.event("learner", "stage", "loop", 1, Map.of("stage", "loop")));
    for (int i = 0; i < 20; i++) {
      store.add(SyntheticRun.event("sampler-1", "version-loaded", "v" + i, 2 + i, Map.of()));
    }
    var recent = store.recentEvents();
    assertEquals(5, recent.size());
    assertEquals("v19", recent.get(0).getMessage(), "newest first");
    assertEquals("v15", recent.get(4).getMessage());
    assertEquals("loop", store.latestEvent("stage").orElseThrow().getMessage());
    assertEquals(21, store.eventsSeen());
  }

  @Test
  void concurrentWritersAndReadersNeitherFailNorLosePointsBeyondTheBound() throws Exception {
    var store = new MetricsStore(64, 16);
    int writers = 4;
    int perWriter = 20_000;
    ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
    var go = new CountDownLatch(1);
    try {
      var futures = new ArrayList<Future<?>>();
      for (int w = 0; w < writers; w++) {
        String source = "w" + (w % 2); // two writers share each series
        int offset = w;
        futures.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < perWriter; i++) {
            store.add("lag.mean", source, new Point(i, i, offset));
            if (i % 100 == 0) {
              store.add(SyntheticRun.event(source, "stage", "s" + i, i, Map.of()));
            }
          }
          return null;
        }));
      }
      for (int r = 0; r < 2; r++) {
        futures.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < 2_000; i++) {
            store.snapshot().values().forEach(bySource -> bySource.values().forEach(points ->
                assertTrue(points.size() <= 64 && points.stream().allMatch(p -> p != null))));
            DashboardJson.metrics(store);
            assertTrue(store.recentEvents().size() <= 16);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals((long) writers * perWriter, store.metricsSeen());
    assertEquals(writers * (perWriter / 100), store.eventsSeen());
    for (String source : List.of("w0", "w1")) {
      List<Point> points = store.series("lag.mean", source);
      assertTrue(points.size() <= 64 && points.size() >= 48, source + " kept " + points.size());
    }
  }

  @Test
  void rejectsBoundsTooSmallToWorkWith() {
    assertThrows(IllegalArgumentException.class, () -> new MetricsStore(3, 10));
    assertThrows(IllegalArgumentException.class, () -> new MetricsStore(100, 0));
  }
}
