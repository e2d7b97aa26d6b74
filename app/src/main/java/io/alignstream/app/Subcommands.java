package io.alignstream.app;

import io.alignstream.broker.BrokerCommand;
import io.alignstream.broker.TopicsCommand;
import io.alignstream.dashboard.DashboardCommand;
import io.alignstream.learner.LearnerCommand;
import io.alignstream.model.cli.GenerateCommand;
import io.alignstream.model.cli.PretrainCommand;
import io.alignstream.producer.IngestCommand;
import io.alignstream.producer.ProduceCommand;
import io.alignstream.rewarder.RewarderCommand;
import io.alignstream.sampler.SamplerCommand;
import io.alignstream.task.TaskCommand;
import picocli.CommandLine;

/** The one list of subcommands that come from other modules, in the order {@code --help} shows them. */
final class Subcommands {
  private Subcommands() {}

  static void register(CommandLine cli) {
    cli.addSubcommand(new BrokerCommand());
    cli.addSubcommand(new TopicsCommand());
    cli.addSubcommand(new TaskCommand());
    cli.addSubcommand(new PretrainCommand());
    cli.addSubcommand(new GenerateCommand());
    cli.addSubcommand(new ProduceCommand());
    cli.addSubcommand(new IngestCommand());
    cli.addSubcommand(new SamplerCommand());
    cli.addSubcommand(new RewarderCommand());
    cli.addSubcommand(LearnerCommand.withRecipeHelp(new CommandLine(new LearnerCommand())));
    cli.addSubcommand(new DashboardCommand());
  }
}
