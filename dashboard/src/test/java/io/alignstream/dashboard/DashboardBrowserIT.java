package io.alignstream.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.ScratchDirectory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The page in a real browser: headless Chromium loads the dashboard of a run that went through Kafka,
 * runs its script, and must draw every chart. Skipped where no Chromium is installed (Debian: the
 * {@code chromium} package). The screenshot stays at {@code target/dashboard-screenshot.png} to look at.
 */
@ExtendWith(KafkaFixture.class)
class DashboardBrowserIT {
  private static final Path TARGET = Path.of("target");
  private static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(60);

  @Test
  void headlessChromiumDrawsEveryChartOfARun(KafkaConnection connection, Topics topics) throws Exception {
    Optional<Path> chromium = findChromium();
    assumeTrue(chromium.isPresent(), "no chromium on PATH: install Debian's 'chromium' package to run the browser test");

    // Given a ten-minute run on the topics, followed into a store
    var run = SyntheticRun.tenMinutes(System.currentTimeMillis());
    try (var producer = RunFollowerIT.producer(connection)) {
      run.metrics().forEach(m -> producer.send(topics.metrics.record(m.getSource(), m)));
      run.events().forEach(e -> producer.send(topics.events.record(e.getSource(), e)));
      producer.flush();
    }
    var store = new MetricsStore();
    try (RunFollower follower = RunFollower.start(connection, topics, store);
        Dashboard dashboard = Dashboard.start(DashboardConfig.loopback(topics.runId(), 0), store)) {
      RunFollowerIT.await("the run in the store", Duration.ofSeconds(30),
          () -> store.metricsSeen() == run.metrics().size() && store.eventsSeen() == run.events().size());
      String url = dashboard.url().toString();

      // When Chromium renders the page (its script polls once, then draws)
      Path screenshot = TARGET.resolve("dashboard-screenshot.png").toAbsolutePath();
      Files.deleteIfExists(screenshot);
      Path dom = TARGET.resolve("dashboard-dom.html").toAbsolutePath();
      runChromium(chromium.get(), "1400,1000", List.of("--screenshot=" + screenshot, url), TARGET.resolve("chromium-screenshot.log"));
      runChromium(chromium.get(), "1400,1000", List.of("--dump-dom", url), dom);
      // The whole page too, below the fold, for people to look at (not asserted on beyond existing).
      Path full = TARGET.resolve("dashboard-screenshot-full.png").toAbsolutePath();
      runChromium(chromium.get(), "1400,2000", List.of("--screenshot=" + full, url),
          TARGET.resolve("chromium-screenshot-full.log"));
      assertTrue(Files.size(full) > 30_000);

      // Then the screenshot is a real picture, not a blank page
      assertTrue(Files.size(screenshot) > 30_000, "screenshot is " + Files.size(screenshot) + " bytes");
      BufferedImage image = ImageIO.read(screenshot.toFile());
      assertEquals(1400, image.getWidth());
      assertTrue(distinctColours(image) > 200, "only " + distinctColours(image) + " colours: nothing was drawn");

      // and the DOM says every main chart was drawn with its data and its legend's last values
      String html = Files.readString(dom, StandardCharsets.UTF_8);
      Matcher rendered = Pattern.compile("<body[^>]*data-rendered=\"(\\d+)\"").matcher(html);
      assertTrue(rendered.find(), "the page never finished a render: " + html.substring(0, Math.min(400, html.length())));
      int charts = Integer.parseInt(rendered.group(1));
      assertTrue(charts >= 8, charts + " charts drawn");
      for (String chart : List.of("golden", "reward", "accuracy", "losses", "throughput", "lag", "versions", "kl")) {
        Matcher points = Pattern.compile("data-chart=\"" + chart + "\"[^>]*data-points=\"(\\d+)\"").matcher(html);
        assertTrue(points.find(), "chart " + chart + " is missing");
        assertTrue(Integer.parseInt(points.group(1)) > 0, "chart " + chart + " has no points");
      }
      for (String text : List.of("Golden success", "Reward-model accuracy", "Throughput per stage", "Policy lag",
          "sampler gen/s · sampler-2", "version-rejected", ">loop<", ">v61<")) {
        assertTrue(html.contains(text), "the page shows '" + text + "'");
      }
    }
  }

  /** Runs headless Chromium on a fresh profile, output to {@code log}; killed (with its children) on timeout. */
  private static void runChromium(Path chromium, String windowSize, List<String> args, Path log) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("dashboard-chromium-");
    var command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
        "--window-size=" + windowSize, "--virtual-time-budget=6000"));
    command.addAll(args);
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process process = new ProcessBuilder(command)
        .redirectOutput(log.toFile())
        .redirectError(TARGET.resolve("chromium-stderr.log").toFile())
        .start();
    try {
      boolean done = process.waitFor(BROWSER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertTrue(done, "chromium did not finish within " + BROWSER_TIMEOUT + ": " + command);
      assertEquals(0, process.exitValue(), "chromium failed; see target/chromium-stderr.log");
    } finally {
      // Chromium forks helpers (zygote, renderer): end them too, so none outlives the test.
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      ScratchDirectory.deleteTree(profile);
    }
  }

  static Optional<Path> findChromium() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String name : List.of("chromium", "chromium-browser")) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  static int distinctColours(BufferedImage image) {
    var colours = new HashSet<Integer>();
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }
}
