package org.fedledger.node.cli;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.crypto.Keys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedledger keygen}: writes a new Ed25519 key file (owner-only) and prints its public key. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
    description = "Create an Ed25519 key file (owner-only permissions) and print its public key.")
final class KeygenCommand implements Callable<Integer> {
  @Option(names = {"-o", "--out"}, required = true, description = "Key file to create (refused if it exists).")
  Path out;

  @Override
  public Integer call() {
    KeyPair key = Ed25519.generate(new SecureRandom());
    KeyFile.write(out, key);
    System.out.println(Keys.hex(key.publicKey()));
    return 0;
  }
}
