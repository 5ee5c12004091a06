package dev.grpca.server.x509;

import dev.grpca.server.error.CaException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;

/**
 * A CA certificate's name constraints (RFC 5280 4.2.1.10) for DNS names, IP ranges, email addresses
 * and URI hosts: what it carries, and which of a certificate's names break them. A DNS subtree
 * {@code example.com} holds example.com and every name under it ({@code .example.com}: only those
 * under it); an email constraint is a mailbox, a host, or {@code .domain} for hosts under it; a URI
 * constraint is a host, or {@code .domain}.
 */
public record NameConstraintRules(
    List<String> permittedDns,
    List<String> excludedDns,
    List<IpRange> permittedIps,
    List<IpRange> excludedIps,
    List<String> permittedEmails,
    List<String> excludedEmails,
    List<String> permittedUris,
    List<String> excludedUris) {

  public static final NameConstraintRules NONE =
      new NameConstraintRules(
          List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of());

  /** An IP address range: an address and how many leading bits of it are fixed. */
  public record IpRange(byte[] address, int prefix) {
    /** {@code text} as "10.0.0.0/8" or "2001:db8::/32"; INVALID_ARGUMENT naming {@code field}. */
    public static IpRange parse(String field, String text) {
      int slash = text.indexOf('/');
      String expected = "'" + text + "' (expected: a CIDR range such as 10.0.0.0/8 or fd00::/8)";
      // Only a literal: InetAddress would look a host name up.
      if (slash < 0 || !text.substring(0, slash).matches("[0-9a-fA-F.:]*[.:][0-9a-fA-F.:]*")) {
        throw CaException.invalid(field, expected);
      }
      byte[] address;
      int prefix;
      try {
        address = InetAddress.getByName(text.substring(0, slash)).getAddress();
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (UnknownHostException | NumberFormatException e) {
        throw CaException.invalid(field, expected);
      }
      if (prefix < 0 || prefix > address.length * 8) {
        throw CaException.invalid(field, expected);
      }
      for (int bit = prefix; bit < address.length * 8; bit++) {
        if ((address[bit / 8] & (0x80 >> (bit % 8))) != 0) {
          throw CaException.invalid(
              field,
              "'" + text + "' has bits set past its /" + prefix + " (expected: its network)");
        }
      }
      return new IpRange(address, prefix);
    }

    boolean contains(byte[] ip) {
      if (ip.length != address.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >> (bit % 8);
        if ((ip[bit / 8] & mask) != (address[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      try {
        return InetAddress.getByAddress(address).getHostAddress() + "/" + prefix;
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }

    /** RFC 5280's form: the address, then the mask. */
    byte[] encoded() {
      byte[] out = new byte[address.length * 2];
      System.arraycopy(address, 0, out, 0, address.length);
      for (int bit = 0; bit < prefix; bit++) {
        out[address.length + bit / 8] |= (byte) (0x80 >> (bit % 8));
      }
      return out;
    }

    static IpRange decoded(byte[] octets) {
      int n = octets.length / 2;
      byte[] address = new byte[n];
      System.arraycopy(octets, 0, address, 0, n);
      int prefix = 0;
      while (prefix < n * 8 && (octets[n + prefix / 8] & (0x80 >> (prefix % 8))) != 0) {
        prefix++;
      }
      return new IpRange(address, prefix);
    }
  }

  public NameConstraintRules {
    permittedDns = lower(permittedDns);
    excludedDns = lower(excludedDns);
    permittedIps = List.copyOf(permittedIps);
    excludedIps = List.copyOf(excludedIps);
    permittedEmails = lower(permittedEmails);
    excludedEmails = lower(excludedEmails);
    permittedUris = lower(permittedUris);
    excludedUris = lower(excludedUris);
  }

  private static final Pattern DOMAIN =
      Pattern.compile(
          "\\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  private static final Pattern MAILBOX = Pattern.compile("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@");

  /**
   * These rules, if their names are DNS domains, mailboxes or hosts as RFC 5280 writes them;
   * INVALID_ARGUMENT naming the first that is not (under name_constraints).
   */
  public NameConstraintRules checked() {
    domains("name_constraints.permitted_dns_domains", permittedDns);
    domains("name_constraints.excluded_dns_domains", excludedDns);
    mail("name_constraints.permitted_email_addresses", permittedEmails);
    mail("name_constraints.excluded_email_addresses", excludedEmails);
    domains("name_constraints.permitted_uri_domains", permittedUris);
    domains("name_constraints.excluded_uri_domains", excludedUris);
    return this;
  }

  private static void domains(String field, List<String> names) {
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (n.length() > 254 || !DOMAIN.matcher(n).matches()) {
        throw CaException.invalid(
            field + "[" + i + "]",
            "'"
                + n
                + "' (expected: a domain such as example.com, or .example.com for the names"
                + " under it)");
      }
    }
  }

  private static void mail(String field, List<String> names) {
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      int at = n.lastIndexOf('@');
      String host = at < 0 ? n : n.substring(at + 1);
      if ((at >= 0 && !MAILBOX.matcher(n.substring(0, at + 1)).matches())
          || !DOMAIN.matcher(host).matches()) {
        throw CaException.invalid(
            field + "[" + i + "]",
            "'" + n + "' (expected: a mailbox, a host, or .domain for the hosts under it)");
      }
    }
  }

  public boolean isEmpty() {
    return equals(NONE);
  }

  /** The constraints {@code extensions} carry; NONE when they have none. */
  public static NameConstraintRules of(Extensions extensions) {
    if (extensions == null || extensions.getExtension(Extension.nameConstraints) == null) {
      return NONE;
    }
    NameConstraints nc =
        NameConstraints.getInstance(extensions.getExtensionParsedValue(Extension.nameConstraints));
    Lists permitted = Lists.of(nc.getPermittedSubtrees());
    Lists excluded = Lists.of(nc.getExcludedSubtrees());
    return new NameConstraintRules(
        permitted.dns,
        excluded.dns,
        permitted.ips,
        excluded.ips,
        permitted.emails,
        excluded.emails,
        permitted.uris,
        excluded.uris);
  }

  /** The extension's value (RFC 5280 says it is critical). */
  public NameConstraints extension() {
    GeneralSubtree[] permitted =
        subtrees(permittedDns, permittedIps, permittedEmails, permittedUris);
    GeneralSubtree[] excluded = subtrees(excludedDns, excludedIps, excludedEmails, excludedUris);
    return new NameConstraints(
        permitted.length == 0 ? null : permitted, excluded.length == 0 ? null : excluded);
  }

  /** What a DNS name breaks ("permitted DNS subtrees example.com"), if anything. */
  public Optional<String> dnsViolation(String dns) {
    String name = dns.toLowerCase(Locale.ROOT);
    // A wildcard stands for every name one label under its base.
    String base = name.startsWith("*.") ? name.substring(2) : null;
    for (String c : excludedDns) {
      if (inDnsTree(name, c) || (base != null && inDnsTree("x." + base, c))) {
        return Optional.of("excluded DNS subtree " + c);
      }
    }
    if (!permittedDns.isEmpty() && permittedDns.stream().noneMatch(c -> inDnsTree(name, c))) {
      return Optional.of("permitted DNS subtrees " + String.join(", ", permittedDns));
    }
    return Optional.empty();
  }

  public Optional<String> ipViolation(InetAddress ip) {
    byte[] a = ip.getAddress();
    for (IpRange r : excludedIps) {
      if (r.contains(a)) {
        return Optional.of("excluded IP range " + r);
      }
    }
    if (permittedIps.stream().anyMatch(r -> r.address().length == a.length)
        && permittedIps.stream().noneMatch(r -> r.contains(a))) {
      return Optional.of("permitted IP ranges " + join(permittedIps));
    }
    return Optional.empty();
  }

  public Optional<String> emailViolation(String email) {
    String mailbox = email.toLowerCase(Locale.ROOT);
    for (String c : excludedEmails) {
      if (inMailTree(mailbox, c)) {
        return Optional.of("excluded email constraint " + c);
      }
    }
    if (!permittedEmails.isEmpty()
        && permittedEmails.stream().noneMatch(c -> inMailTree(mailbox, c))) {
      return Optional.of("permitted email constraints " + String.join(", ", permittedEmails));
    }
    return Optional.empty();
  }

  public Optional<String> uriViolation(String uri) {
    String host = URI.create(uri).getHost();
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    for (String c : excludedUris) {
      if (inHostTree(h, c)) {
        return Optional.of("excluded URI domain " + c);
      }
    }
    if (!permittedUris.isEmpty() && permittedUris.stream().noneMatch(c -> inHostTree(h, c))) {
      return Optional.of("permitted URI domains " + String.join(", ", permittedUris));
    }
    return Optional.empty();
  }

  private static boolean inDnsTree(String name, String c) {
    if (c.startsWith(".")) {
      return name.endsWith(c);
    }
    return name.equals(c) || name.endsWith("." + c);
  }

  private static boolean inMailTree(String mailbox, String c) {
    if (c.contains("@")) {
      return mailbox.equals(c);
    }
    return inHostTree(mailbox.substring(mailbox.indexOf('@') + 1), c);
  }

  private static boolean inHostTree(String host, String c) {
    return c.startsWith(".") ? host.endsWith(c) : host.equals(c);
  }

  private static List<String> lower(List<String> names) {
    return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
  }

  private static String join(List<IpRange> ranges) {
    return String.join(", ", ranges.stream().map(IpRange::toString).toList());
  }

  private static GeneralSubtree[] subtrees(
      List<String> dns, List<IpRange> ips, List<String> emails, List<String> uris) {
    List<GeneralSubtree> out = new ArrayList<>();
    dns.forEach(d -> out.add(new GeneralSubtree(new GeneralName(GeneralName.dNSName, d))));
    ips.forEach(
        r ->
            out.add(
                new GeneralSubtree(
                    new GeneralName(GeneralName.iPAddress, new DEROctetString(r.encoded())))));
    emails.forEach(e -> out.add(new GeneralSubtree(new GeneralName(GeneralName.rfc822Name, e))));
    uris.forEach(
        u ->
            out.add(new GeneralSubtree(new GeneralName(GeneralName.uniformResourceIdentifier, u))));
    return out.toArray(new GeneralSubtree[0]);
  }

  /** The four kinds of one list of subtrees (other kinds are kept by the certificate only). */
  private record Lists(
      List<String> dns, List<IpRange> ips, List<String> emails, List<String> uris) {
    static Lists of(GeneralSubtree[] subtrees) {
      List<String> dns = new ArrayList<>();
      List<IpRange> ips = new ArrayList<>();
      List<String> emails = new ArrayList<>();
      List<String> uris = new ArrayList<>();
      for (GeneralSubtree s : subtrees == null ? new GeneralSubtree[0] : subtrees) {
        GeneralName base = s.getBase();
        switch (base.getTagNo()) {
          case GeneralName.dNSName -> dns.add(DERIA5String.getInstance(base.getName()).getString());
          case GeneralName.rfc822Name ->
              emails.add(DERIA5String.getInstance(base.getName()).getString());
          case GeneralName.uniformResourceIdentifier ->
              uris.add(DERIA5String.getInstance(base.getName()).getString());
          case GeneralName.iPAddress ->
              ips.add(IpRange.decoded(ASN1OctetString.getInstance(base.getName()).getOctets()));
          default -> {
            // directoryName and the rest: not checked here.
          }
        }
      }
      return new Lists(dns, ips, emails, uris);
    }
  }
}
