package io.alignstream.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code alignstream version}: this build and the versions of what it is built on. */
@Command(name = "version", mixinStandardHelpOptions = true,
    description = "Prints the alignstream version and the versions of Kafka, DJL, PyTorch, Avro and Java it uses.")
final class VersionCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  static Properties versions() {
    Properties p = new Properties();
    try (InputStream in = VersionCommand.class.getResourceAsStream("/alignstream-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  static String[] lines() {
    Properties v = versions();
    return new String[] {
        "alignstream " + v.getProperty("version", "unknown"),
        "  kafka   " + v.getProperty("kafka") + " (clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + ")",
        "  djl     " + v.getProperty("djl") + ", pytorch " + v.getProperty("pytorch"),
        "  avro    " + v.getProperty("avro"),
        "  java    " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
  }

  @Override
  public void run() {
    for (String line : lines()) {
      spec.commandLine().getOut().println(line);
    }
  }

  /** Lets {@code alignstream --version} print the same lines. */
  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return lines();
    }
  }
}
