/**
 * The {@code fedledger} command line (picocli): {@code node} runs a validator, {@code keygen}
 * and {@code testnet init} create keys, genesis and configs, and {@code submit}, {@code status},
 * {@code block}, {@code receipt} talk to a validator over gRPC. {@code --help} on every command.
 *
 * <p>Invariants: errors go to stderr as one line naming the file or field at fault, with exit
 * code 2 for bad input and 1 for failures; client commands print JSON or one line per node so
 * that scripts can read them. Client commands use only the gRPC API, never the store.
 */
package org.fedledger.node.cli;
