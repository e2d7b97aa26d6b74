/**
 * The built-in task: a seeded, shipped-as-code imitation of the Helpful and Harmless tasks, small
 * enough for a tiny word-level GPT, with a golden judge that is for evaluation only.
 *
 * <p>{@link io.alignstream.task.BuiltinTask#generate} turns a {@link io.alignstream.task.TaskConfig}
 * into a pre-training corpus where the desired behaviour is present but rare, demonstrations of only
 * the desired behaviour, and held-out evaluation prompts; {@link io.alignstream.task.GoldenJudge}
 * decides whether a response to one of its prompts is a success. Training and reward modules are
 * barred from depending on this module (a Maven enforcer rule), so the judge can never leak into what
 * is being evaluated.
 */
package io.alignstream.task;
