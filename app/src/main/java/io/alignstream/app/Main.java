package io.alignstream.app;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code alignstream} command. It only wires subcommands; each service's command lives in the
 * service's own module.
 */
@Command(
    name = "alignstream",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "Aligns language models from demonstrations, continuously, as a Kafka streaming system.%n",
        "Without --bootstrap, a command uses the broker already listening on 127.0.0.1:9092 "
            + "(see 'alignstream broker') or starts an embedded one with its data in .alignstream/kafka.%n"},
    subcommands = {
        DemoCommand.class,
        AlignCommand.class,
        ReplayCommand.class,
        ExportCommand.class,
        VersionCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code; tests call this instead of {@link #main}. */
  public static int run(String... args) {
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    CommandLine cli = commandLine();
    return cli.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    Subcommands.register(cli);
    AlignCommand.withRecipeHelp(cli.getSubcommands().get("align"));
    ReplayCommand.withRecipeHelp(cli.getSubcommands().get("replay"));
    cli.setExecutionExceptionHandler(Main::oneLineError);
    return cli;
  }

  /**
   * A failure is one clear line, not a stack trace; {@code ALIGNSTREAM_DEBUG=1} shows the trace.
   */
  private static int oneLineError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    Throwable root = e;
    while (root.getCause() != null && root.getMessage() == null) {
      root = root.getCause();
    }
    String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    err.println(cmd.getColorScheme().errorText("alignstream " + cmd.getCommandName() + ": " + message));
    if (System.getenv("ALIGNSTREAM_DEBUG") != null) {
      e.printStackTrace(err);
    } else {
      err.println("(set ALIGNSTREAM_DEBUG=1 for the stack trace)");
    }
    err.flush();
    return 1;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
