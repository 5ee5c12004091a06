package dev.grpca.server.policy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.x509.HostNames;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which names a profile allows, compiled from its spec. Names reach it already normalised (lower
 * case, no trailing dot, syntax checked). A refusal is PERMISSION_DENIED and names the value and
 * the rule.
 */
public final class NamePolicy {
  private static final String WILDCARD_PROBE = "wildcard-label";

  private final String profile;
  private final List<String> allowed = new ArrayList<>();
  private final List<Pattern> globs = new ArrayList<>();
  private final List<String> globTexts = new ArrayList<>();
  private final List<String> denied = new ArrayList<>();
  private final List<Cidr> ipRanges = new ArrayList<>();
  private final List<String> emailDomains = new ArrayList<>();
  private final List<Pattern> uriPatterns = new ArrayList<>();
  private final boolean bare;
  private final boolean subdomains;
  private final boolean wildcards;
  private final boolean localhost;
  private final boolean anyName;
  private final boolean ipSans;

  NamePolicy(dev.grpca.proto.v1.Profile spec) {
    this.profile = spec.getName();
    this.bare = spec.getAllowBareDomains();
    this.subdomains = spec.getAllowSubdomains();
    this.wildcards = spec.getAllowWildcardCertificates();
    this.localhost = spec.getAllowLocalhost();
    this.anyName = spec.getAllowAnyName();
    this.ipSans = spec.getAllowIpSans();
    for (int i = 0; i < spec.getAllowedDomainsCount(); i++) {
      String entry = normalise(spec.getAllowedDomains(i));
      String field = "allowed_domains[" + i + "]";
      if (entry.contains("*")) {
        if (!spec.getAllowGlobDomains()) {
          throw Profile.invalid(field, "'" + entry + "' holds '*' but allow_glob_domains is off");
        }
        if (!HostNames.isValid(entry.replace("*", "x"), false)) {
          throw Profile.invalid(field, "'" + entry + "' is not a host name pattern");
        }
        globs.add(glob(entry));
        globTexts.add(entry);
      } else {
        allowed.add(hostName(field, entry));
      }
    }
    for (int i = 0; i < spec.getDeniedDomainsCount(); i++) {
      denied.add(hostName("denied_domains[" + i + "]", normalise(spec.getDeniedDomains(i))));
    }
    for (int i = 0; i < spec.getAllowedIpRangesCount(); i++) {
      ipRanges.add(Cidr.parse("allowed_ip_ranges[" + i + "]", spec.getAllowedIpRanges(i)));
    }
    for (int i = 0; i < spec.getAllowedEmailDomainsCount(); i++) {
      emailDomains.add(
          hostName("allowed_email_domains[" + i + "]", normalise(spec.getAllowedEmailDomains(i))));
    }
    for (int i = 0; i < spec.getAllowedUriSansCount(); i++) {
      String pattern = spec.getAllowedUriSans(i);
      try {
        UriSyntax.check("profile.allowed_uri_sans[" + i + "]", pattern.replace("*", "x"));
      } catch (CaException e) {
        throw Profile.invalid(
            "allowed_uri_sans[" + i + "]", "'" + pattern + "' is not a URI pattern");
      }
      uriPatterns.add(uriPattern(pattern));
    }
  }

  /** Refuses {@code name} (normalised DNS name, maybe a wildcard) unless the profile allows it. */
  public void checkDns(String field, String name) {
    boolean wildcard = name.startsWith("*.");
    String base = wildcard ? name.substring(2) : name;
    for (String entry : denied) {
      if (base.equals(entry) || base.endsWith("." + entry)) {
        throw deny(field, "'" + name + "' is refused by denied_domains entry '" + entry + "'");
      }
    }
    if (wildcard && !wildcards) {
      throw deny(field, "'" + name + "' is a wildcard name and allow_wildcard_certificates is off");
    }
    String probe = wildcard ? WILDCARD_PROBE + "." + base : name;
    if (anyName || (localhost && name.equals("localhost"))) {
      return;
    }
    for (String entry : allowed) {
      if ((bare && probe.equals(entry)) || (subdomains && probe.endsWith("." + entry))) {
        return;
      }
    }
    for (Pattern glob : globs) {
      if (glob.matcher(probe).matches()) {
        return;
      }
    }
    throw deny(
        field,
        "'"
            + name
            + "' is not allowed (allowed_domains "
            + entries()
            + ", allow_bare_domains "
            + bare
            + ", allow_subdomains "
            + subdomains
            + ", allow_localhost "
            + localhost
            + ")");
  }

  public void checkIp(String field, InetAddress address, String text) {
    if (!ipSans) {
      throw deny(field, "'" + text + "': allow_ip_sans is off");
    }
    if (ipRanges.isEmpty() || ipRanges.stream().anyMatch(r -> r.contains(address))) {
      return;
    }
    throw deny(field, "'" + text + "' is outside allowed_ip_ranges " + ipRanges);
  }

  public void checkEmail(String field, String email) {
    String domain = email.substring(email.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    if (!emailDomains.contains(domain)) {
      throw deny(field, "'" + email + "' is not in allowed_email_domains " + emailDomains);
    }
  }

  public void checkUri(String field, String uri) {
    if (uriPatterns.stream().noneMatch(p -> p.matcher(uri).matches())) {
      throw deny(field, "'" + uri + "' matches no allowed_uri_sans pattern");
    }
  }

  private List<String> entries() {
    List<String> all = new ArrayList<>(allowed);
    all.addAll(globTexts);
    return all;
  }

  private CaException deny(String field, String what) {
    return CaException.denied(field, what + " by profile '" + profile + "'");
  }

  private static String normalise(String entry) {
    String lower = entry.strip().toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }

  private static String hostName(String field, String entry) {
    if (!HostNames.isValid(entry, false)) {
      throw Profile.invalid(field, "'" + entry + "' is not a host name");
    }
    return entry;
  }

  /** '*' matches one or more characters within one label. */
  private static Pattern glob(String entry) {
    return pattern(entry, "[^.]+");
  }

  /** '*' matches one or more characters other than '/'. */
  private static Pattern uriPattern(String pattern) {
    return pattern(pattern, "[^/]+");
  }

  /** {@code text} taken literally but for each '*', which becomes {@code star}. */
  private static Pattern pattern(String text, String star) {
    StringBuilder regex = new StringBuilder();
    String[] parts = text.split("\\*", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        regex.append(star);
      }
      if (!parts[i].isEmpty()) {
        regex.append(Pattern.quote(parts[i]));
      }
    }
    return Pattern.compile(regex.toString());
  }

  /** An address range such as 10.0.0.0/8 or 2001:db8::/32. */
  record Cidr(byte[] network, int prefix, String text) {
    static Cidr parse(String field, String text) {
      int slash = text.indexOf('/');
      InetAddress address = slash < 0 ? null : parseIp(text.substring(0, slash));
      int bits = address == null ? -1 : address.getAddress().length * 8;
      int prefix;
      try {
        prefix = slash < 0 ? -1 : Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (address == null || prefix < 0 || prefix > bits) {
        throw Profile.invalid(
            field, "'" + text + "' (expected: a CIDR range such as 10.0.0.0/8 or 2001:db8::/32)");
      }
      return new Cidr(address.getAddress(), prefix, text);
    }

    private static InetAddress parseIp(String s) {
      return NameSyntax.isIpAddress(s) ? NameSyntax.ipAddress("cidr", s) : null;
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >> (bit % 8);
        if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
