package org.fedledger.ledger.crypto;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeMap;

/**
 * An Ed25519 key pair on disk. The format is line-based UTF-8 text, one {@code name: value}
 * per line; blank lines and lines starting with {@code #} are ignored:
 *
 * <pre>
 * # FedLedger key file: holds a PRIVATE key, keep it owner-only (chmod 600)
 * format: fedledger-key/1
 * type: ed25519
 * public-key: &lt;64 lower-case hex characters: the 32-byte RFC 8032 public key&gt;
 * seed: &lt;64 lower-case hex characters: the 32-byte RFC 8032 private key&gt;
 * </pre>
 *
 * <p>All four fields are required, each exactly once, and no other field is allowed, so a
 * typo or a truncated file is an error, never a silent default. The public key is redundant
 * (it is derived from the seed) and serves as a checksum: a seed whose public key differs is
 * refused as corrupt.
 *
 * <p>Files are written owner-only (POSIX {@code rw-------}) and atomically: the key goes to a
 * temporary file created with those permissions in the same directory, is fsynced, and is
 * then linked (or renamed) into place and the directory fsynced, so a crash leaves either no
 * key file or a complete one. On a
 * file system with POSIX permissions, {@link #read} refuses a file that its group or others
 * may read or write. Every failure is a {@link KeyFileException} whose message names the path.
 */
public final class KeyFile {
  /** The value of the {@code format} field this version writes and reads. */
  public static final String FORMAT = "fedledger-key/1";
  /** The only key type this version knows. */
  public static final String TYPE_ED25519 = "ed25519";
  /** Files larger than this are not key files. */
  public static final int SIZE_MAX_BYTES = 4096;

  private static final String HEADER = "# FedLedger key file: holds a PRIVATE key, keep it owner-only (chmod 600)\n";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final Set<String> FIELDS = Set.of("format", "type", "public-key", "seed");

  private KeyFile() {}

  /** The text of a key file for {@code keyPair}. */
  public static String format(KeyPair keyPair) {
    return HEADER
        + "format: " + FORMAT + "\n"
        + "type: " + TYPE_ED25519 + "\n"
        + "public-key: " + Keys.hex(keyPair.publicKey()) + "\n"
        + "seed: " + Keys.hex(keyPair.secretKey()) + "\n";
  }

  /**
   * Writes {@code keyPair} to the new file {@code path}, owner-only and atomically.
   *
   * @throws KeyFileException if {@code path} exists already (a key is never overwritten by
   *     accident) or cannot be written
   */
  public static void write(Path path, KeyPair keyPair) {
    writeAtomically(path, keyPair, false);
  }

  /** Writes {@code keyPair} to {@code path} as {@link #write}, replacing any existing file. */
  public static void replace(Path path, KeyPair keyPair) {
    writeAtomically(path, keyPair, true);
  }

  private static void writeAtomically(Path path, KeyPair keyPair, boolean replace) {
    Path target = path.toAbsolutePath();
    Path dir = target.getParent();
    if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyFileException(path + ": key file exists already; refusing to overwrite it");
    }
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = posix(dir)
          ? Files.createTempFile(dir, ".keyfile-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
          : Files.createTempFile(dir, ".keyfile-", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(format(keyPair).getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      if (replace) {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        linkOrMove(tmp, target);
      }
      tmp = null;
      syncDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      throw new KeyFileException(path + ": key file exists already; refusing to overwrite it", e);
    } catch (IOException | UnsupportedOperationException e) {
      throw new KeyFileException(path + ": cannot write key file: " + e, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the write already failed and says so; a stray temp file is harmless
        }
      }
    }
  }

  /**
   * Puts {@code tmp} in place as {@code target} unless {@code target} exists. A hard link fails
   * atomically if the target exists, where a rename would replace it; on a file system without
   * hard links, an existence check followed by an atomic rename is the fallback.
   */
  private static void linkOrMove(Path tmp, Path target) throws IOException {
    try {
      Files.createLink(target, tmp);
      Files.delete(tmp);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException noLinks) {
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new FileAlreadyExistsException(target.toString());
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /**
   * Reads the key pair in {@code path}.
   *
   * @throws KeyFileException naming the path and the problem: missing, unreadable, readable
   *     by others, too large, not UTF-8, a missing, repeated or unknown field, an unknown format
   *     or key type, bad hex or length, or a public key that does not match the seed
   */
  public static KeyPair read(Path path) {
    byte[] raw;
    try {
      checkPermissions(path);
      if (Files.size(path) > SIZE_MAX_BYTES) {
        throw new KeyFileException(path + ": " + Files.size(path) + " bytes is too large for a key file");
      }
      raw = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new KeyFileException(path + ": key file does not exist", e);
    } catch (IOException e) {
      throw new KeyFileException(path + ": cannot read key file: " + e, e);
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      throw new KeyFileException(path + ": not a key file (not UTF-8 text)", e);
    }
    return parse(path, text);
  }

  /** Parses key-file text; {@code path} only names the source in error messages. */
  public static KeyPair parse(Path path, String text) {
    TreeMap<String, String> fields = new TreeMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw new KeyFileException(path + ": line " + (i + 1) + " is not 'name: value'");
      }
      String name = line.substring(0, colon).strip();
      if (!FIELDS.contains(name)) {
        throw new KeyFileException(path + ": line " + (i + 1) + ": unknown field '" + abbreviate(name) + "'");
      }
      if (fields.put(name, line.substring(colon + 1).strip()) != null) {
        throw new KeyFileException(path + ": field '" + name + "' appears twice");
      }
    }
    String format = require(path, fields, "format");
    if (!format.equals(FORMAT)) {
      throw new KeyFileException(path + ": unknown key file format '" + abbreviate(format) + "', expected " + FORMAT);
    }
    String type = require(path, fields, "type");
    if (!type.equals(TYPE_ED25519)) {
      throw new KeyFileException(path + ": key type '" + abbreviate(type) + "' is not " + TYPE_ED25519);
    }
    ByteString publicKey = hex32(path, "public-key", require(path, fields, "public-key"));
    ByteString seed = hex32(path, "seed", require(path, fields, "seed"));
    KeyPair derived = Ed25519.fromSeed(seed.toByteArray());
    if (!derived.publicKey().equals(publicKey)) {
      throw new KeyFileException(path + ": corrupt key file: public-key does not match the key derived from seed");
    }
    return derived;
  }

  private static String require(Path path, TreeMap<String, String> fields, String name) {
    String v = fields.get(name);
    if (v == null) {
      throw new KeyFileException(path + ": field '" + name + "' is missing (truncated or not a key file?)");
    }
    return v;
  }

  private static ByteString hex32(Path path, String name, String hex) {
    if (hex.length() != 64) {
      throw new KeyFileException(path + ": field '" + name + "' must be 64 hex characters (32 bytes), got "
          + hex.length() + " characters");
    }
    try {
      return ByteString.copyFrom(HexFormat.of().parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new KeyFileException(path + ": field '" + name + "' is not hexadecimal", e);
    }
  }

  private static void checkPermissions(Path path) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    Set<PosixFilePermission> perms = view.readAttributes().permissions();
    Set<PosixFilePermission> extra = EnumSet.noneOf(PosixFilePermission.class);
    extra.addAll(perms);
    extra.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_EXECUTE));
    if (!extra.isEmpty()) {
      throw new KeyFileException(path + ": key file permissions are " + PosixFilePermissions.toString(perms)
          + " but a private key must be accessible by its owner only (chmod 600 " + path + ")");
    }
  }

  private static boolean posix(Path dir) {
    return Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
  }

  /** Makes the new directory entry durable (best effort: not every platform can open a directory). */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // Windows cannot open a directory; the rename itself is still atomic there
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }
}
