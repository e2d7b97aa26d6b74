/**
 * The {@code pretrain} and {@code generate} commands over the model core, in a module of their own so
 * that the core carries no command-line code; the launcher registers them.
 */
package io.alignstream.model.cli;
