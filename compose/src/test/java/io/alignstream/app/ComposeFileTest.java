package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.Replication;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import kafka.server.KafkaConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;

/**
 * Keeps {@code compose/compose.yaml} and {@code compose/samplers.yaml} honest, since no Docker engine
 * runs them here: every alignstream command line parses with the launcher's own picocli model
 * ({@link Main#commandLine()}, hence this package), every {@code KAFKA_*} variable is a real broker
 * setting and the nodes' settings make a valid {@link KafkaConfig}, the quorum, listeners and
 * replication add up, paths live on volumes, the GPU rewarder reserves a GPU, and the image builds
 * every module and reads every variable the services are given.
 */
class ComposeFileTest {
  static final Path COMPOSE = Path.of("compose.yaml");
  static final Path SAMPLERS = Path.of("samplers.yaml");
  static final Path DOCKERFILE = Path.of("Dockerfile");
  static final Path PARENT_POM = Path.of("..", "pom.xml");

  /** Variables of the apache/kafka image that are JVM or logging settings, not broker properties. */
  static final Set<String> KAFKA_IMAGE_VARIABLES = Set.of("KAFKA_VERSION", "KAFKA_HEAP_OPTS", "KAFKA_LOG4J_OPTS",
      "KAFKA_OPTS", "KAFKA_JMX_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL",
      "KAFKA_LOG4J_LOGGERS", "KAFKA_TOOLS_LOG4J_LOGLEVEL");

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");
  private static final Pattern LISTENER = Pattern.compile("([A-Z_]+)://([^:,]*):(\\d+)");
  private static final Pattern VOTER = Pattern.compile("(\\d+)@([^:]+):(\\d+)");
  private static final Pattern TOPIC_NAME = Pattern.compile("alignstream\\.[A-Za-z0-9][A-Za-z0-9_-]*\\.[a-z.-]+");

  // ---------------------------------------------------------------- Kafka

  @Test
  void theKafkaNodesRunTheVersionTheProjectBuildsAgainst() {
    Compose c = Compose.load(COMPOSE, Map.of());
    assertEquals(3, c.kafkaNodes().size(), "three nodes: " + c.kafkaNodes());
    for (Service k : c.kafkaNodes()) {
      assertEquals("apache/kafka:" + AppInfoParser.getVersion(), k.image(), k.name());
    }
  }

  @Test
  void everyKafkaVariableIsABrokerSettingAndEachNodeIsAValidBrokerConfig() {
    Set<String> known = KafkaConfig.configDef().names();
    for (Service k : Compose.load(COMPOSE, Map.of()).kafkaNodes()) {
      Properties props = brokerProperties(k, known);
      // What the broker itself would refuse at start: listeners, roles, quorum, types and ranges.
      try {
        KafkaConfig.fromProps(props, false);
      } catch (RuntimeException e) {
        fail(k.name() + "'s settings are not a valid Kafka broker config: " + e.getMessage());
      }
      String clusterId = k.environment().get("CLUSTER_ID");
      assertNotNull(clusterId, k.name() + " needs CLUSTER_ID (the image formats its storage with it)");
      assertEquals(clusterId, Uuid.fromString(clusterId).toString(), "CLUSTER_ID of " + k.name());
    }
  }

  @Test
  void theQuorumListenersAndClusterIdAreTheSameThreeNodes() {
    Compose c = Compose.load(COMPOSE, Map.of());
    Set<String> voters = c.kafkaNodes().stream().map(k -> k.environment().get("KAFKA_CONTROLLER_QUORUM_VOTERS"))
        .collect(Collectors.toSet());
    assertEquals(1, voters.size(), "every node names the same voters: " + voters);
    assertEquals(1, c.kafkaNodes().stream().map(k -> k.environment().get("CLUSTER_ID")).distinct().count());
    Map<Integer, String> voterHosts = new HashMap<>();
    for (String voter : voters.iterator().next().split(",")) {
      Matcher m = VOTER.matcher(voter.strip());
      assertTrue(m.matches(), "voter " + voter);
      voterHosts.put(Integer.parseInt(m.group(1)), m.group(2) + ":" + m.group(3));
    }
    for (Service k : c.kafkaNodes()) {
      int id = Integer.parseInt(k.environment().get("KAFKA_NODE_ID"));
      Map<String, Integer> listeners = listenerPorts(k.environment().get("KAFKA_LISTENERS"));
      // Each node is the voter of its id, at its own controller listener...
      assertEquals(k.name() + ":" + listeners.get("CONTROLLER"), voterHosts.get(id), "voter " + id);
      // ...and advertises its own name on the listener the other containers use.
      Map<String, String> advertised = advertised(k.environment().get("KAFKA_ADVERTISED_LISTENERS"));
      assertEquals(k.name() + ":" + listeners.get("PLAINTEXT"), advertised.get("PLAINTEXT"), k.name());
      // The EXTERNAL listener is published on this host at the port it advertises.
      String external = advertised.get("EXTERNAL");
      assertNotNull(external, k.name() + " advertises no EXTERNAL listener for other hosts");
      int port = Integer.parseInt(external.substring(external.lastIndexOf(':') + 1));
      assertTrue(k.ports().contains(port + ":" + listeners.get("EXTERNAL")),
          k.name() + " publishes " + k.ports() + ", advertises " + external);
      assertNotNull(k.spec().get("healthcheck"), k.name() + " has a health check, so services wait for it");
      assertTrue(k.volumes().stream().anyMatch(v -> v.endsWith(":" + k.environment().get("KAFKA_LOG_DIRS"))),
          k.name() + " keeps its log dir on a volume: " + k.volumes());
    }
    assertEquals(c.kafkaNodes().size(), voterHosts.size(), "one voter per node");
  }

  @Test
  void replicationIsWhatThreeNodesGiveEverywhere() {
    Compose c = Compose.load(COMPOSE, Map.of());
    Replication expected = Replication.forCluster(c.kafkaNodes().size());
    for (Service k : c.kafkaNodes()) {
      Map<String, String> env = k.environment();
      for (String key : List.of("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
          "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "KAFKA_DEFAULT_REPLICATION_FACTOR")) {
        assertEquals(Integer.toString(expected.factor()), env.get(key), k.name() + " " + key);
      }
      for (String key : List.of("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
          "KAFKA_MIN_INSYNC_REPLICAS")) {
        assertEquals(Integer.toString(expected.minInsync()), env.get(key), k.name() + " " + key);
      }
    }
    CommandLine.ParseResult topics = parse(c.service("topics"));
    assertEquals("topics", topics.subcommand().commandSpec().name());
    assertEquals(expected.factor(), (int) topics.subcommand().matchedOptionValue("--replication-factor", 0),
        "the run's topics get as many replicas as the internal ones");
  }

  // ---------------------------------------------------------------- alignstream services

  @Test
  void everyCommandParsesWithTheRealCliAndTalksToTheCluster() {
    Compose c = Compose.load(COMPOSE, Map.of());
    Set<String> plaintext = c.kafkaNodes().stream()
        .map(k -> k.name() + ":" + listenerPorts(k.environment().get("KAFKA_LISTENERS")).get("PLAINTEXT"))
        .collect(Collectors.toSet());
    List<Service> services = c.alignstreamServices();
    assertTrue(services.stream().map(Service::name).collect(Collectors.toSet()).containsAll(
        List.of("topics", "ingest", "learner", "rewarder", "sampler", "dashboard")), "services: " + services);
    for (Service s : services) {
      CommandLine.ParseResult sub = parse(s).subcommand();
      var spec = sub.commandSpec();
      if (spec.findOption("--bootstrap") == null) {
        continue; // e.g. 'task export', 'pretrain': no Kafka
      }
      // Without --bootstrap a command starts a broker inside its own container: never what compose wants.
      String bootstrap = sub.matchedOptionValue("--bootstrap", null);
      assertNotNull(bootstrap, s.name() + " names no --bootstrap");
      assertEquals(plaintext, Set.of(KafkaConnection.of(bootstrap).bootstrapServers().split(",")),
          s.name() + " bootstraps from every node's PLAINTEXT listener");
      String run = sub.matchedOptionValue("--run", null);
      assertEquals("exp1", run, s.name() + " --run");
      Topics.forRun(run); // a valid run id
    }
  }

  @Test
  void everyTopicNamedAnywhereIsOneOfTheRunsTopics() {
    for (Path file : List.of(COMPOSE, SAMPLERS)) {
      Compose c = Compose.load(file, samplerHostEnvironment());
      for (String text : c.strings()) {
        Matcher m = TOPIC_NAME.matcher(text);
        while (m.find()) {
          String name = m.group();
          String run = Topics.runOf(name).orElseThrow(() -> new AssertionError("not a run topic: " + name));
          assertTrue(Topics.forRun(run).find(name).isPresent(), file + " names " + name + ", not a topic of run " + run);
        }
      }
    }
  }

  @Test
  void aMistypedOptionOrValueIsCaught() {
    Compose c = Compose.load(COMPOSE, Map.of());
    Service sampler = c.service("sampler");
    for (var bad : List.of(List.of("--bootstrapp", "kafka-1:9092"), List.of("--weights-timeout", "an hour"),
        List.of("--threads", "two"))) {
      List<String> command = new ArrayList<>(sampler.command());
      command.addAll(bad);
      var mutated = new LinkedHashMap<>(sampler.spec());
      mutated.put("command", command);
      assertThrows(AssertionError.class, () -> parse(new Service("sampler", mutated)), bad::toString);
    }
  }

  @Test
  void dataPathsLiveOnVolumesAndOutputsAreWritable() {
    Compose c = Compose.load(COMPOSE, Map.of());
    Set<String> declared = c.declaredVolumes();
    for (Service s : c.alignstreamServices()) {
      Map<String, Boolean> mounts = new HashMap<>(); // target -> writable
      for (String v : s.volumes()) {
        String[] parts = v.split(":");
        assertTrue(declared.contains(parts[0]), s.name() + " mounts undeclared volume " + parts[0]);
        mounts.put(parts[1], parts.length < 3 || !parts[2].equals("ro"));
      }
      CommandLine.ParseResult sub = parse(s).subcommand();
      for (var option : sub.matchedOptions()) {
        if (!(option.getValue() instanceof Path path) || !path.isAbsolute()) {
          continue;
        }
        String target = mounts.keySet().stream().filter(m -> path.startsWith(m)).findFirst()
            .orElseThrow(() -> new AssertionError(s.name() + " " + option.longestName() + " " + path
                + " is not on a volume (mounts: " + mounts.keySet() + "): it would vanish with the container"));
        boolean output = List.of("--out", "--checkpoints").contains(option.longestName());
        assertTrue(!output || mounts.get(target), s.name() + " writes " + path + " to a read-only mount");
      }
    }
    // The learner's checkpoints outlive its container: a restarted learner resumes from them.
    assertTrue(c.service("learner").volumes().stream().anyMatch(v -> v.endsWith(":/data/checkpoints")));
  }

  @Test
  void servicesStartOnlyOnceTheClusterAndTheRunsTopicsAreReady() {
    Compose c = Compose.load(COMPOSE, Map.of());
    Set<String> names = c.services().stream().map(Service::name).collect(Collectors.toSet());
    for (Service s : c.services()) {
      for (var d : s.dependsOn().entrySet()) {
        assertTrue(names.contains(d.getKey()), s.name() + " depends on unknown " + d.getKey());
        assertTrue(Set.of("service_started", "service_healthy", "service_completed_successfully").contains(d.getValue()),
            s.name() + " -> " + d.getKey() + ": " + d.getValue());
      }
    }
    Map<String, String> topicsNeeds = c.service("topics").dependsOn();
    for (Service k : c.kafkaNodes()) {
      assertEquals("service_healthy", topicsNeeds.get(k.name()), "topics waits for " + k.name() + "'s health check");
    }
    for (Service s : c.alignstreamServices()) {
      if (!s.name().equals("topics") && parse(s).subcommand().commandSpec().findOption("--bootstrap") != null) {
        assertEquals("service_completed_successfully", s.dependsOn().get("topics"), s.name() + " waits for the topics");
      }
    }
    assertEquals("service_completed_successfully", c.service("learner").dependsOn().get("pretrain"),
        "the learner needs π_0 first");
  }

  @Test
  void theRewarderReservesAGpuAndRunsTheCudaImage() {
    Service rewarder = Compose.load(COMPOSE, Map.of()).service("rewarder");
    List<Map<String, Object>> devices = rewarder.at("deploy", "resources", "reservations", "devices");
    assertNotNull(devices, "the rewarder reserves no device");
    assertTrue(devices.stream().anyMatch(d -> "nvidia".equals(d.get("driver"))
        && ((List<?>) d.get("capabilities")).contains("gpu")), "devices " + devices);
    assertEquals("cuda", rewarder.<String>at("build", "target"), "the CUDA image (Maven profile 'cuda')");
    assertEquals("GPU", parse(rewarder).subcommand().matchedOptionValue("--device", null).toString());
  }

  @Test
  void replicasNameThemselvesAndFitThePromptPartitions() {
    Compose c = Compose.load(COMPOSE, Map.of());
    int samplers = 0;
    for (Service s : c.alignstreamServices()) {
      int replicas = s.replicas();
      if (s.name().equals("sampler")) {
        samplers += replicas;
        assertTrue(replicas > 1, "samplers are scaled by a replica count: " + replicas);
      }
      if (replicas > 1) {
        // A fixed id would make every replica fence the others' transactions.
        var sub = parse(s).subcommand();
        for (String id : List.of("--sampler-id", "--rewarder-id")) {
          assertFalse(sub.hasMatchedOption(id), s.name() + " has " + replicas + " replicas but one " + id);
        }
        assertFalse(s.spec().containsKey("container_name"), s.name() + ": replicas cannot share a container name");
      }
    }
    Compose more = Compose.load(SAMPLERS, samplerHostEnvironment());
    samplers += more.service("sampler").replicas();
    assertTrue(samplers <= Topics.SAMPLE_PARTITIONS, samplers + " samplers by default, more than the "
        + Topics.SAMPLE_PARTITIONS + " prompt partitions they share");
  }

  @Test
  void samplersOnAnotherHostReachTheBrokersExternalListeners() {
    Compose cluster = Compose.load(COMPOSE, Map.of());
    Service sampler = Compose.load(SAMPLERS, samplerHostEnvironment()).service("sampler");
    var sub = parse(sampler).subcommand();
    assertEquals("sampler", sub.commandSpec().name());
    assertEquals(cluster.service("sampler").image(), sampler.image());
    assertEquals(cluster.service("sampler").<String>at("build", "target"), sampler.<String>at("build", "target"));
    String run = parse(cluster.service("sampler")).subcommand().matchedOptionValue("--run", null);
    assertEquals(run, sub.<String>matchedOptionValue("--run", null), "the same run as the cluster's");
    assertEquals(samplerHostEnvironment().get("KAFKA_BOOTSTRAP"), sub.<String>matchedOptionValue("--bootstrap", null));
    // Without the brokers' addresses it refuses to start, with the reason.
    var e = assertThrows(AssertionError.class, () -> Compose.load(SAMPLERS, Map.of()));
    assertTrue(e.getMessage().contains("KAFKA_BOOTSTRAP"), e.getMessage());
  }

  // ---------------------------------------------------------------- the image

  @Test
  void theImageBuildsEveryModuleHasEveryTargetAndReadsEveryVariable() throws Exception {
    String dockerfile = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
    for (String module : parentModules()) {
      assertTrue(dockerfile.contains("COPY " + module + "/ " + module + "/")
          || dockerfile.contains("COPY " + module + "/pom.xml " + module + "/pom.xml"), "the image lacks module " + module);
    }
    Set<String> stages = new TreeSet<>();
    Matcher from = Pattern.compile("(?m)^FROM \\S+ AS (\\S+)").matcher(dockerfile);
    while (from.find()) {
      stages.add(from.group(1));
    }
    Set<String> env = new TreeSet<>();
    Matcher declared = Pattern.compile("(?m)^\\s*(?:ENV\\s+)?([A-Z][A-Z0-9_]*)=").matcher(dockerfile);
    while (declared.find()) {
      env.add(declared.group(1));
    }
    assertTrue(dockerfile.contains("$ALIGNSTREAM_JAVA_OPTS"), "the entrypoint reads ALIGNSTREAM_JAVA_OPTS");
    for (Path file : List.of(COMPOSE, SAMPLERS)) {
      for (Service s : Compose.load(file, samplerHostEnvironment()).alignstreamServices()) {
        assertEquals("compose/Dockerfile", s.<String>at("build", "dockerfile"), s.name());
        assertEquals("..", s.<String>at("build", "context"), s.name() + ": the context is the repository root");
        assertTrue(stages.contains(s.<String>at("build", "target")), s.name() + " builds target "
            + s.<String>at("build", "target") + "; the Dockerfile has " + stages);
        for (String variable : s.environment().keySet()) {
          assertTrue(env.contains(variable), s.name() + " sets " + variable + ", which the image never reads " + env);
        }
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Where samplers on another host find the brokers: the cluster's EXTERNAL listeners, as advertised. */
  static Map<String, String> samplerHostEnvironment() {
    Compose c = Compose.load(COMPOSE, Map.of("KAFKA_HOST", "kafkahost"));
    String bootstrap = c.kafkaNodes().stream()
        .map(k -> advertised(k.environment().get("KAFKA_ADVERTISED_LISTENERS")).get("EXTERNAL"))
        .collect(Collectors.joining(","));
    return Map.of("KAFKA_BOOTSTRAP", bootstrap);
  }

  /** The service's command parsed by the launcher's own command line; an AssertionError names what is wrong. */
  static CommandLine.ParseResult parse(Service s) {
    List<String> args = s.command();
    assertFalse(args.isEmpty(), s.name() + " has no command");
    try {
      CommandLine.ParseResult result = Main.commandLine().parseArgs(args.toArray(String[]::new));
      if (!result.hasSubcommand()) {
        throw new AssertionError(s.name() + ": '" + args.get(0) + "' is no alignstream command");
      }
      return result;
    } catch (CommandLine.ParameterException e) {
      throw new AssertionError(s.name() + ": " + String.join(" ", args) + ": " + e.getMessage(), e);
    }
  }

  /** The node's KAFKA_* variables as the apache/kafka image writes them to server.properties. */
  static Properties brokerProperties(Service k, Set<String> known) {
    var props = new Properties();
    k.environment().forEach((name, value) -> {
      if (!name.startsWith("KAFKA_") || KAFKA_IMAGE_VARIABLES.contains(name)) {
        return;
      }
      String property = brokerProperty(name);
      assertTrue(known.contains(property), k.name() + ": " + name + " becomes '" + property
          + "', which is no Kafka broker setting");
      props.put(property, value);
    });
    return props;
  }

  /**
   * The image's rule: drop {@code KAFKA_}, lower-case, and read a single underscore as '.', two as
   * '_' and three as '-'.
   */
  static String brokerProperty(String variable) {
    String rest = variable.substring("KAFKA_".length());
    var sb = new StringBuilder();
    for (int i = 0; i < rest.length(); ) {
      if (rest.charAt(i) != '_') {
        sb.append(Character.toLowerCase(rest.charAt(i++)));
        continue;
      }
      int run = 0;
      while (i < rest.length() && rest.charAt(i) == '_') {
        run++;
        i++;
      }
      sb.append(switch (run) {
        case 1 -> ".";
        case 2 -> "_";
        case 3 -> "-";
        default -> throw new AssertionError(variable + ": " + run + " underscores in a row mean nothing to the image");
      });
    }
    return sb.toString();
  }

  @Test
  void brokerPropertyFollowsTheImagesRule() {
    assertEquals("controller.quorum.voters", brokerProperty("KAFKA_CONTROLLER_QUORUM_VOTERS"));
    assertEquals("a_b.c-d", brokerProperty("KAFKA_A__B_C___D"));
  }

  private static Map<String, Integer> listenerPorts(String listeners) {
    Map<String, Integer> ports = new HashMap<>();
    Matcher m = LISTENER.matcher(listeners);
    while (m.find()) {
      ports.put(m.group(1), Integer.parseInt(m.group(3)));
    }
    return ports;
  }

  private static Map<String, String> advertised(String listeners) {
    Map<String, String> out = new HashMap<>();
    Matcher m = LISTENER.matcher(listeners);
    while (m.find()) {
      out.put(m.group(1), m.group(2) + ":" + m.group(3));
    }
    return out;
  }

  private static List<String> parentModules() throws Exception {
    var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(PARENT_POM.toFile());
    NodeList modules = ((Element) doc.getElementsByTagName("modules").item(0)).getElementsByTagName("module");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < modules.getLength(); i++) {
      out.add(modules.item(i).getTextContent().strip());
    }
    assertTrue(out.contains("app"), "modules " + out);
    return out;
  }

  /** One service of a compose file, its values interpolated. */
  record Service(String name, Map<String, Object> spec) {
    String image() {
      return (String) spec.get("image");
    }

    @SuppressWarnings("unchecked")
    List<String> command() {
      Object command = spec.get("command");
      return command instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
    }

    /** The environment, whether written as a map or as a list of NAME=value. */
    Map<String, String> environment() {
      Object env = spec.get("environment");
      Map<String, String> out = new LinkedHashMap<>();
      if (env instanceof Map<?, ?> map) {
        map.forEach((k, v) -> out.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
      } else if (env instanceof List<?> list) {
        for (Object item : list) {
          String s = String.valueOf(item);
          int eq = s.indexOf('=');
          out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? null : s.substring(eq + 1));
        }
      }
      return out;
    }

    List<String> volumes() {
      return spec.get("volumes") instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
    }

    List<String> ports() {
      return spec.get("ports") instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
    }

    /** depends_on as service -> condition, whether written as a list or a map. */
    Map<String, String> dependsOn() {
      Object d = spec.get("depends_on");
      Map<String, String> out = new LinkedHashMap<>();
      if (d instanceof List<?> list) {
        list.forEach(x -> out.put(String.valueOf(x), "service_started"));
      } else if (d instanceof Map<?, ?> map) {
        map.forEach((k, v) -> out.put(String.valueOf(k), v instanceof Map<?, ?> m && m.get("condition") != null
            ? String.valueOf(m.get("condition")) : "service_started"));
      }
      return out;
    }

    int replicas() {
      Object r = at("deploy", "replicas");
      return r == null ? 1 : Integer.parseInt(String.valueOf(r));
    }

    @SuppressWarnings("unchecked")
    <T> T at(String... path) {
      Object node = spec;
      for (String key : path) {
        if (!(node instanceof Map<?, ?> map)) {
          return null;
        }
        node = map.get(key);
      }
      return (T) node;
    }
  }

  /** A parsed compose file with its variables interpolated like compose does, from {@code env} or the defaults. */
  record Compose(Path file, Map<String, Object> root) {
    static Compose load(Path file, Map<String, String> env) {
      Object root;
      try {
        root = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new AssertionError("cannot read " + file.toAbsolutePath(), e);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> interpolated = (Map<String, Object>) interpolate(root, env, file);
      return new Compose(file, interpolated);
    }

    @SuppressWarnings("unchecked")
    List<Service> services() {
      Map<String, Object> services = (Map<String, Object>) root.get("services");
      assertNotNull(services, file + " has no services");
      return services.entrySet().stream().map(e -> new Service(e.getKey(), (Map<String, Object>) e.getValue())).toList();
    }

    Service service(String name) {
      return services().stream().filter(s -> s.name().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError(file + " has no service " + name));
    }

    List<Service> kafkaNodes() {
      return services().stream().filter(s -> s.image() != null && s.image().startsWith("apache/kafka:")).toList();
    }

    /** Services that run the alignstream image (built from compose/Dockerfile). */
    List<Service> alignstreamServices() {
      return services().stream().filter(s -> s.spec().get("build") != null).toList();
    }

    Set<String> declaredVolumes() {
      return root.get("volumes") instanceof Map<?, ?> m ? m.keySet().stream().map(String::valueOf)
          .collect(Collectors.toSet()) : Set.of();
    }

    /** Every string value of the file. */
    List<String> strings() {
      List<String> out = new ArrayList<>();
      collect(root, out);
      return out;
    }

    private static void collect(Object node, List<String> out) {
      if (node instanceof Map<?, ?> map) {
        map.values().forEach(v -> collect(v, out));
      } else if (node instanceof List<?> list) {
        list.forEach(v -> collect(v, out));
      } else if (node instanceof String s) {
        out.add(s);
      }
    }

    private static Object interpolate(Object node, Map<String, String> env, Path file) {
      if (node instanceof Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), interpolate(v, env, file)));
        return out;
      }
      if (node instanceof List<?> list) {
        return list.stream().map(v -> interpolate(v, env, file)).toList();
      }
      if (node instanceof String s) {
        return interpolate(s, env, file);
      }
      return node;
    }

    /** Compose's {@code ${X}}, {@code ${X:-default}}, {@code ${X-default}}, {@code ${X:?error}} and {@code ${X?error}}. */
    static String interpolate(String s, Map<String, String> env, Path file) {
      Matcher m = VARIABLE.matcher(s);
      var sb = new StringBuilder();
      while (m.find()) {
        String name = m.group(1);
        String op = m.group(2);
        String arg = m.group(3);
        String value = env.get(name);
        boolean unset = op != null && op.startsWith(":") ? value == null || value.isEmpty() : value == null;
        String result;
        if (op == null) {
          if (value == null) {
            throw new AssertionError(file + ": ${" + name + "} has no default; give it one (${" + name + ":-...})");
          }
          result = value;
        } else if (op.endsWith("-")) {
          result = unset ? arg : value;
        } else if (unset) {
          throw new AssertionError(file + ": " + name + " is required: " + arg);
        } else {
          result = value;
        }
        m.appendReplacement(sb, Matcher.quoteReplacement(result));
      }
      m.appendTail(sb);
      return sb.toString();
    }
  }

  @Test
  void interpolationIsComposes() {
    Path f = Path.of("x.yaml");
    assertEquals("a-exp1-b", Compose.interpolate("a-${RUN:-exp1}-b", Map.of(), f));
    assertEquals("a-r2-b", Compose.interpolate("a-${RUN:-exp1}-b", Map.of("RUN", "r2"), f));
    assertEquals("", Compose.interpolate("${RUN-exp1}", Map.of("RUN", ""), f));
    assertEquals("exp1", Compose.interpolate("${RUN:-exp1}", Map.of("RUN", ""), f));
    assertThrows(AssertionError.class, () -> Compose.interpolate("${RUN}", Map.of(), f));
    var e = assertThrows(AssertionError.class, () -> Compose.interpolate("${B:?say B}", Map.of(), f));
    assertTrue(e.getMessage().contains("say B"));
  }
}
