package io.alignstream.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live dashboard of one run: an HTTP server (the JDK's own, so no dependency) that serves one
 * self-contained page and the JSON it polls, read from a {@link MetricsStore}.
 *
 * <p>Routes: {@code /} the page (no external scripts, fonts or styles: it works offline);
 * {@code /api/metrics} every series; {@code /api/events} recent events and the run's stage (shapes in
 * {@link DashboardJson}). Only GET and HEAD; responses are never cached. It listens where its
 * {@link DashboardConfig} says, loopback by default. Closing it stops the server; the store and
 * whatever feeds it are the caller's.
 */
public final class Dashboard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
  private static final String PAGE_RESOURCE = "dashboard.html";
  private static final String TITLE_SLOT = "{{RUN_TITLE}}";

  private final HttpServer server;
  private final ExecutorService executor;
  private final DashboardConfig config;

  private Dashboard(HttpServer server, ExecutorService executor, DashboardConfig config) {
    this.server = server;
    this.executor = executor;
    this.config = config;
  }

  /**
   * Binds the server and starts serving {@code store}.
   *
   * @throws UncheckedIOException when the address cannot be bound (e.g. the port is taken)
   */
  public static Dashboard start(DashboardConfig config, MetricsStore store) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(store, "store");
    byte[] page = page(config.runTitle());
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + " ("
          + e.getMessage() + "): choose another --port, or 0 for any free port", e);
    }
    // Two threads: a page and a poll at once are all one viewer needs, and the machine is shared.
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "dashboard-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/") || path.equals("/index.html")) {
        respond(exchange, "text/html; charset=utf-8", () -> page);
      } else {
        send(exchange, 404, "text/plain; charset=utf-8", ("no such page: " + path + "\n").getBytes(StandardCharsets.UTF_8));
      }
    });
    server.createContext("/api/metrics", exchange ->
        respond(exchange, "application/json", () -> DashboardJson.metrics(store)));
    server.createContext("/api/events", exchange ->
        respond(exchange, "application/json", () -> DashboardJson.events(store, config.runTitle())));
    server.start();
    var dashboard = new Dashboard(server, executor, config);
    log.info("dashboard of run {} on {}", config.runTitle(), dashboard.url());
    return dashboard;
  }

  /** Where the bound server listens (the actual port when the config asked for 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The page's address, e.g. {@code http://127.0.0.1:8080/}. */
  public URI url() {
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return URI.create("http://" + host + ":" + address().getPort() + "/");
  }

  public DashboardConfig config() {
    return config;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  /** The page with the run title in place (HTML-escaped: a run id is input). */
  static byte[] page(String runTitle) {
    try (InputStream in = Dashboard.class.getResourceAsStream(PAGE_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard page " + PAGE_RESOURCE + " is missing from the class path");
      }
      String html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return html.replace(TITLE_SLOT, escapeHtml(runTitle)).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the dashboard page", e);
    }
  }

  static String escapeHtml(String s) {
    var out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static void respond(HttpExchange exchange, String contentType, Supplier<byte[]> body) throws IOException {
    String method = exchange.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      send(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n".getBytes(StandardCharsets.UTF_8));
      return;
    }
    byte[] bytes;
    try {
      bytes = body.get();
    } catch (RuntimeException e) {
      log.warn("dashboard: {} failed: {}", exchange.getRequestURI(), e.toString(), e);
      send(exchange, 500, "text/plain; charset=utf-8", "internal error\n".getBytes(StandardCharsets.UTF_8));
      return;
    }
    send(exchange, 200, contentType, bytes);
  }

  private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    try (exchange) {
      var headers = exchange.getResponseHeaders();
      headers.set("Content-Type", contentType);
      headers.set("Cache-Control", "no-store");
      headers.set("X-Content-Type-Options", "nosniff");
      // The page needs nothing from elsewhere; say so, so an injected script could not fetch out.
      headers.set("Content-Security-Policy",
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:");
      boolean head = exchange.getRequestMethod().equals("HEAD");
      exchange.sendResponseHeaders(status, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }
}
