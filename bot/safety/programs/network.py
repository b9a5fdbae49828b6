"""Network tools: read-only forms, and every word that names a host typed as a host.

The inventory rule then checks each host (and URL) word against `config/inventory.yaml`:
a "read-only" ping or DNS query to an outside host is still a way out (data in DNS labels,
in ping payloads), so it is not allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.safety.options import Scanned
from bot.safety.programs.spec import Invocation, Program, prog

# --- iproute2 ------------------------------------------------------------------------------

# ip's global options in the order ip.c tries them: `ip -b` is -batch, `ip -br` is -brief.
_IP_OPTIONS = (
    "-loops= -family= -4 -6 -0 -M -B -human|-human-readable -iec -stats|-statistics -details "
    "-resolve -oneline -timestamp -tshort -Version !-force !-batch= -brief -json -pretty "
    "-rcvbuf= -color=? -help !-netns= -Numeric -all -echo"
)
# ip objects in the order ip.c matches them (a prefix names the first that it prefixes).
_IP_OBJECTS = [
    "address",
    "addrlabel",
    "maddress",
    "route",
    "rule",
    "neighbor",
    "neighbour",
    "ntable",
    "ntbl",
    "link",
    "l2tp",
    "fou",
    "ila",
    "macsec",
    "tunnel",
    "tuntap",
    "tap",
    "token",
    "tcpmetrics",
    "tcp_metrics",
    "monitor",
    "xfrm",
    "mroute",
    "mrule",
    "netns",
    "netconf",
    "vrf",
    "sr",
    "nexthop",
    "mptcp",
    "ioam",
    "stats",
    "help",
]
# Objects whose show verbs are read-only; xfrm is not (its state holds IPsec keys).
_IP_READABLE = frozenset(_IP_OBJECTS) - {"xfrm", "l2tp", "fou", "ila", "sr", "ioam", "mptcp"}
_SHOW_VERBS = ("show", "list", "lst")
_IP_READ_VERBS = {"route": ("show", "list", "get"), "nexthop": ("show", "list", "get")}
_IP_NETNS_READ = ("list", "list-id", "identify", "pids", "show")


def _prefix_of(word: str, choices: Sequence[str]) -> str | None:
    """iproute2's `matches()`: the first choice that `word` is a prefix of."""
    return next((c for c in choices if word and c.startswith(word)), None)


def _ip_check(inv: Invocation) -> str | None:
    words = list(inv.operands)
    if not words:
        return None  # usage
    obj = _prefix_of(words[0], _IP_OBJECTS)
    if obj is None or obj not in _IP_READABLE:
        return f"ip object {words[0]!r} is not known to be read-only"
    if obj in ("monitor", "help"):
        return None
    if len(words) == 1:
        return None  # `ip a`: show
    verbs = _IP_NETNS_READ if obj == "netns" else _IP_READ_VERBS.get(obj, _SHOW_VERBS)
    verb = words[1]
    if _prefix_of(verb, verbs) is None or (obj == "netns" and verb not in verbs):
        if (
            verb in ("dev", "up", "scope", "to", "table", "type", "label", "master")
            and obj != "netns"
        ):
            return None  # `ip addr dev eth0` means show
        return f"ip {obj} {verb} is not a show command"
    return None


IP = prog(_IP_OPTIONS, "text*", style="ordered", check=_ip_check)
_BRIDGE_OPTIONS = (
    "-Version -stats|-statistics -details -oneline -timestamp -tshort !-batch= -json -pretty "
    "-color=? -help !-netns= -Numeric -compressvlans -4 -6 -force"
)


def _bridge_check(inv: Invocation) -> str | None:
    words = list(inv.operands)
    if not words:
        return None
    obj = _prefix_of(words[0], ("link", "fdb", "mdb", "vlan", "vni", "monitor", "help"))
    if obj is None:
        return f"bridge object {words[0]!r} is not known"
    if obj in ("monitor", "help") or len(words) == 1:
        return None
    if _prefix_of(words[1], _SHOW_VERBS) is None:
        return f"bridge {obj} {words[1]} is not a show command"
    return None


BRIDGE = prog(_BRIDGE_OPTIONS, "text*", style="ordered", check=_bridge_check)
SS = prog(
    "-h|--help -V|--version -H|--no-header -O|--oneline -n|--numeric -r|--resolve -a|--all "
    "-l|--listening -o|--options -e|--extended -m|--memory -p|--processes -T|--threads "
    "-i|--info --tos --cgroup --tipcinfo -s|--summary -E|--events -Z|--context -z|--contexts "
    "-b|--bpf -4|--ipv4 -6|--ipv6 -0|--packet -t|--tcp -S|--sctp -u|--udp -d|--dccp -w|--raw "
    "-x|--unix --tipc --vsock --xdp --mptcp --inet-sockopt -f|--family= -A|--query|--socket= "
    "-F|--filter=path -B|--bound-inactive "
    "!-K|--kill !-D|--diag= !-N|--net=",
    "text*",
)
NETSTAT = prog(
    "-a|--all -t|--tcp -u|--udp -w|--raw -x|--unix -l|--listening -n|--numeric "
    "--numeric-hosts --numeric-ports --numeric-users -p|--program -r|--route -i|--interfaces "
    "-s|--statistics -e|--extend -o|--timers -c|--continuous -W|--wide -g|--groups "
    "-M|--masquerade -v|--verbose -N|--symbolic -C -F -4 -6 -A|--protocol= -Z|--context "
    "-h|--help -V|--version",
    "",
)

# --- iptables / nft ---------------------------------------------------------------------------

_IPT_LIST = "-L|--list=? -S|--list-rules=?"


def _iptables_check(inv: Invocation) -> str | None:
    if not inv.has("-L", "-S"):
        return "iptables without -L/-S changes rules"
    return None


IPTABLES = prog(
    f"{_IPT_LIST} -n|--numeric -v|--verbose -x|--exact --line-numbers -t|--table= -w|--wait=? "
    "-W|--wait-interval= -h|--help -V|--version "
    "!-A|--append= !-C|--check= !-D|--delete= !-I|--insert= !-R|--replace= !-F|--flush=? "
    "!-Z|--zero=? !-N|--new-chain= !-X|--delete-chain=? !-P|--policy= !-E|--rename-chain= "
    "!--modprobe= !-j|--jump= !-m|--match= !-p|--protocol=",
    "word?",
    check=_iptables_check,
)
IPTABLES_SAVE = prog(
    "-c|--counters -t|--table= -h|--help -V|--version !-f|--file= !-M|--modprobe=", ""
)


def _nft_check(inv: Invocation) -> str | None:
    words = list(inv.operands)
    text = " ".join(words)
    if any(c in text for c in ";\n{}#"):
        return "nft reads several commands from its arguments"
    if not words:
        return "nft without a command reads a ruleset from stdin or starts interactively"
    if words[0] not in ("list", "describe", "monitor"):
        return f"nft {words[0]} changes the ruleset"
    return None


NFT = prog(
    "-a|--handle -n|--numeric -N|--reversedns -s|--stateless -j|--json -c|--check -t|--terse "
    "-y|--numeric-priority -S|--service -T|--numeric-time -u|--guid -p|--numeric-protocol "
    "-d|--debug= -v|--version -V -h|--help -e|--echo "
    "!-f|--file= !-i|--interactive !-I|--includepath= !-D|--define= !-o|--optimize",
    "text*",
    check=_nft_check,
)

# --- reachability and DNS -----------------------------------------------------------------------


def _interval_check(inv: Invocation) -> str | None:
    for value in inv.values("-i"):
        try:
            if float(value) < 0.2:
                return "ping -i below 0.2 s floods the target"
        except ValueError:
            return f"ping -i {value!r} is not a number"
    return None


PING = prog(
    "-c= -i= -W= -w= -s= -t= -q -n -4 -6 -I= -D -O -a -A -B -d -h -L -M= -R -r -U -v -V -m= "
    "-Q= -e= -N= !-f !-p= !-l= !-F= !-T=",
    "host",
    check=_interval_check,
)
TRACEROUTE = prog(
    "-4 -6 -I|--icmp -T|--tcp -U|--udp -UL -D|--dccp -d|--debug -F|--dont-fragment "
    "-f|--first= -i|--interface= -m|--max-hops= -N|--sim-queries= -n -p|--port= -t|--tos= "
    "-l|--flowlabel= -w|--wait= -q|--queries= -r -s|--source= -z|--sendwait= -e|--extensions "
    "-A|--as-path-lookups -V|--version --help -M|--module= -O|--options= --sport= --fwmark= "
    "--mtu --back !-g|--gateway=",
    "host int?",
)
TRACEPATH = prog("-n -b -4 -6 -l= -m= -p= -V", "host")
MTR = prog(
    "-r|--report -w|--report-wide -c|--report-cycles= -n|--no-dns -b|--show-ips -z|--aslookup "
    "-y|--ipinfo= -T|--tcp -u|--udp -4 -6 -P|--port= -L|--localport= -i|--interval= "
    "-s|--psize= -m|--max-ttl= -f|--first-ttl= -U|--max-unknown= -Q|--tos= -e|--mpls "
    "-x|--xml -C|--csv -j|--json -l|--raw -p|--split -t|--curses -o|--order= -a|--address= "
    "-I|--interface= -G|--gracetime= -Z|--timeout= -M|--mark= --displaymode= -h|--help "
    "-v|--version !-B|--bitpattern= !-g|--gtk !-F|--filename=",
    "host",
)
_DNS_TYPES = frozenset(
    [
        "A",
        "AAAA",
        "MX",
        "NS",
        "TXT",
        "SOA",
        "PTR",
        "CNAME",
        "SRV",
        "ANY",
        "CAA",
        "DS",
        "DNSKEY",
        "NAPTR",
        "SSHFP",
        "TLSA",
        "HINFO",
        "RRSIG",
        "NSEC",
        "NSEC3",
        "HTTPS",
        "SVCB",
        "AXFR",
        "IXFR",
    ]
)
_DNS_CLASSES = frozenset({"IN", "CH", "HS", "ANY"})
_DIG_FORBIDDEN_PLUS = frozenset({"trace", "nssearch"})


def dig_hosts(args: Sequence[str]) -> tuple[list[str], str | None]:
    """(hosts, problem) of a dig command line: `@server`, names, `-x ADDR`, `-q NAME`."""
    hosts: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("@"):
            hosts.append(arg[1:])
        elif arg.startswith("+"):
            name = arg[1:].split("=", 1)[0].removeprefix("no")
            if any(name and f.startswith(name) for f in _DIG_FORBIDDEN_PLUS) and len(name) > 1:
                return hosts, f"dig {arg} queries servers outside the inventory"
        elif arg in ("-x", "-q"):
            if i + 1 >= len(args):
                return hosts, f"dig {arg} needs a value"
            hosts.append(args[i + 1])
            i += 1
        elif arg in ("-t", "-c", "-p", "-b"):
            i += 1
        elif re.fullmatch(r"-[46mvhur]+", arg) or arg in ("-h",):
            pass
        elif arg.startswith("-"):
            return hosts, f"dig option {arg} is not known to be read-only"
        elif arg.upper() in _DNS_TYPES or arg.upper() in _DNS_CLASSES:
            pass
        else:
            hosts.append(arg)
        i += 1
    return hosts, None


DIG = Program(raw=dig_hosts)


def nslookup_hosts(args: Sequence[str]) -> tuple[list[str], str | None]:
    hosts: list[str] = []
    for arg in args:
        if arg.startswith("-"):
            key = arg[1:].split("=", 1)[0]
            if key not in ("type", "query", "querytype", "q", "debug", "nodebug", "port",
                           "timeout", "retry", "class", "recurse", "norecurse", "vc", "novc",
                           "search", "nosearch", "d2", "nod2"):  # fmt: skip
                return hosts, f"nslookup option {arg} is not known"
        else:
            hosts.append(arg)
    if not hosts:
        return hosts, "nslookup without a name is interactive"
    return hosts, None


def host_hosts(args: Sequence[str]) -> tuple[list[str], str | None]:
    hosts: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-c", "-N", "-p", "-R", "-t", "-W", "-m"):
            i += 2
            continue
        if re.fullmatch(r"-[aACdlnrsTUwv46V]+", arg):
            i += 1
            continue
        if arg.startswith("-"):
            return hosts, f"host option {arg} is not known"
        hosts.append(arg)
        i += 1
    return hosts, None if hosts else "host needs a name"


NSLOOKUP = Program(raw=nslookup_hosts)
HOST = Program(raw=host_hosts)
ARP = prog("-a -n -e -v -i|--device= -H|--hw-type= !-d|--delete !-s|--set !-f|--file", "host?")


ETHTOOL = prog(
    "-i|--driver -S|--statistics -k|--show-features|--show-offload -g|--show-ring "
    "-a|--show-pause -c|--show-coalesce -l|--show-channels -m|--dump-module-eeprom|--module-info "
    "-T|--show-time-stamping -P|--show-permaddr -d|--register-dump -e|--eeprom-dump --show-eee "
    "--show-fec --show-priv-flags -b|--show-rxfh -x|--show-rxfh-indir -n|--show-nfc|-u "
    "--show-tunnels --show-module --show-pse --show-mm --json -I|--include-statistics "
    "-h|--help --version --debug= "
    "!-s|--change !-K|--features|--offload !-G|--set-ring !-A|--pause !-C|--coalesce "
    "!-L|--set-channels !-E|--change-eeprom !-f|--flash !-p|--identify !-r|--negotiate "
    "!-t|--test !-W|--set-dump !-w|--get-dump !-X|--set-rxfh-indir|--rxfh !-N|--config-nfc|-U "
    "!--set-eee !--set-fec !--set-priv-flags !--reset !--set-phy-tunable !--cable-test",
    "word text*",
)
NC = prog(
    "-z -v -n -w= -4 -6 -u -t -q= -W=",
    "host word+",
    check=lambda inv: None if inv.has("-z") else "nc without -z sends data",
)
SHOWMOUNT = prog(
    "-e|--exports -a|--all -d|--directories --no-headers -h|--help -v|--version", "host?"
)

# --- HTTP clients: every URL is typed, the method and the outputs are checked ------------------

_CURL_FLAGS = (
    "-s|--silent -S|--show-error -f|--fail --fail-with-body -L|--location -k|--insecure "
    "-v|--verbose -i|--include -I|--head -g|--globoff -4|--ipv4 -6|--ipv6 --compressed "
    "-G|--get -n|--netrc --netrc-optional -q|--disable --no-progress-meter -#|--progress-bar "
    "--http1.0 --http1.1 --http2 --http2-prior-knowledge --http3 --tlsv1 --tlsv1.2 --tlsv1.3 "
    "--fail-early --no-keepalive --no-buffer|-N --raw --path-as-is --ssl-no-revoke "
    "--show-headers --styled-output --no-styled-output -l|--list-only -Z|--parallel -h|--help "
    "-V|--version -j|--junk-session-cookies --location-trusted"
)
_CURL_VALUES = (
    "-m|--max-time= --connect-timeout= --retry= --retry-delay= --retry-max-time= "
    "-H|--header= -A|--user-agent= -e|--referer= -u|--user= -b|--cookie= -E|--cert= "
    "--key= --cacert= --capath= --cert-type= --key-type= -r|--range= -w|--write-out= "
    "--url=url --max-redirs= -Y|--speed-limit= -y|--speed-time= --limit-rate= "
    "--max-filesize= --oauth2-bearer= --aws-sigv4= --basic --digest --ntlm --negotiate "
    "--anyauth -D|--dump-header= --stderr= -X|--request= -o|--output= "
    "!-O|--remote-name !-J|--remote-header-name !--remote-name-all !-K|--config= "
    "!-x|--proxy= !--preproxy= !--resolve= !--connect-to= !--unix-socket= "
    "!--abstract-unix-socket= !-c|--cookie-jar= !--trace= !--trace-ascii= !--libcurl= "
    "!-T|--upload-file= !-F|--form= !--form-string= !-d|--data= !--data-ascii= "
    "!--data-binary= !--data-raw= !--data-urlencode= !--json= !-P|--ftp-port= "
    "!-Q|--quote= !--create-dirs !--output-dir= !-C|--continue-at= !-t|--telnet-option= "
    "!--interface= !--dns-servers= !--doh-url= !--haproxy-protocol !--socks4= !--socks5= "
    "!--socks5-hostname= !-U|--proxy-user= !--proxy-header= !--noproxy= !--etag-save= "
    "!--hsts= !--alt-svc= !--mail-from= !--mail-rcpt= !-a|--append"
)
# What curl/wget may do with their request beyond reading: write a file, send a body.
_STDOUT = ("-", "/dev/stdout", "/dev/null")


def _curl_check(inv: Invocation) -> str | None:
    for option in ("-o", "-D", "--stderr"):
        for value in inv.values(option):
            if value not in _STDOUT:
                return f"curl {option} {value} writes a file"
    for value in inv.values("-w"):
        if value.startswith("@") and value not in ("@-",):
            return "curl -w @FILE reads a file"
    for value in inv.values("-X"):
        if value.upper() not in ("GET", "HEAD"):
            return f"curl -X {value} is not a read-only method"
    for value in inv.values("-b"):
        if "=" not in value:
            return "curl -b FILE reads a cookie file"
    return None


CURL = prog(f"{_CURL_FLAGS} {_CURL_VALUES}", "url*", check=_curl_check)


def curl_method(scanned: Scanned) -> str:
    if scanned.has("-I"):
        return "HEAD"
    request = scanned.values.get("-X")
    return request[-1].upper() if request else "GET"


_WGET = (
    "-q|--quiet -v|--verbose -nv|--no-verbose -S|--server-response --spider "
    "-T|--timeout= --dns-timeout= --connect-timeout= --read-timeout= -t|--tries= -w|--wait= "
    "--no-check-certificate --ca-certificate= --certificate= --private-key= "
    "--header= --user= --password= --http-user= --http-password= -U|--user-agent= "
    "--max-redirect= -4|--inet4-only -6|--inet6-only -O|--output-document= --no-cache "
    "--no-cookies --content-on-error --compression= -d|--debug -h|--help -V|--version "
    "--https-only --no-proxy --method= --auth-no-challenge "
    "!-o|--output-file= !-a|--append-output= !-i|--input-file= !-F|--force-html "
    "!-B|--base= !--post-data= !--post-file= !--body-data= !--body-file= !-r|--recursive "
    "!-l|--level= !-k|--convert-links !-p|--page-requisites !-m|--mirror !-P|--directory-prefix= "
    "!-N|--timestamping !-c|--continue !-e|--execute= !--config= !-b|--background "
    "!--save-cookies= !--load-cookies= !-x|--force-directories !-nd|--no-directories "
    "!-e|--execute= !--warc-file= !--bind-address= !-Y|--proxy"
)


def _wget_check(inv: Invocation) -> str | None:
    outputs = inv.values("-O")
    if not inv.has("--spider") and (not outputs or any(o not in _STDOUT for o in outputs)):
        return "wget without -O - writes the download to a file"
    for value in inv.values("--method"):
        if value.upper() not in ("GET", "HEAD"):
            return f"wget --method={value} is not a read-only method"
    return None


WGET = prog(_WGET, "url+", check=_wget_check)

# --- ssh: read-only as a carrier, when the remote command is (judged on its own) ----------------

_SSH_SAFE_KEYS = frozenset(
    {
        "connecttimeout", "batchmode", "stricthostkeychecking", "userknownhostsfile",
        "globalknownhostsfile", "loglevel", "serveraliveinterval", "serveralivecountmax",
        "connectionattempts", "port", "user", "identityfile", "identitiesonly",
        "passwordauthentication", "pubkeyauthentication", "preferredauthentications",
        "kbdinteractiveauthentication", "gssapiauthentication", "requesttty",
        "addressfamily", "compression", "hashknownhosts", "checkhostip", "visualhostkey",
        "updatehostkeys", "ciphers", "macs", "kexalgorithms", "hostkeyalgorithms",
        "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes", "rekeylimit", "tcpkeepalive",
        "escapechar", "numberofpasswordprompts", "logverbose", "clearallforwardings",
        "exitonforwardfailure", "forwardagent", "forwardx11",
    }
)  # fmt: skip
_SSH_FALSE_ONLY = frozenset({"forwardagent", "forwardx11"})


_SSH_NOT_READ_ONLY = ("-A", "-X", "-Y", "-N", "-f", "-M", "-s", "-F", "-E", "-L", "-R", "-D",
                      "-W", "-w", "-S", "-O")  # fmt: skip


def _ssh_check(inv: Invocation) -> str | None:
    """Options after the destination count too (OpenSSH reads them: `ssh host -L …`)."""
    from bot.safety.shell.inline import ssh_destination

    host, _, values = ssh_destination([f.text for f in inv.args])
    if host is None:
        return "ssh needs a destination (or has options not known here)"
    late = [o for o in _SSH_NOT_READ_ONLY if o in values and o not in inv.scanned.values]
    if late:
        return f"ssh {late[0]} is not read-only"
    for raw in values.get("-o", []):
        key, _, value = raw.replace("=", " ", 1).partition(" ")
        key, value = key.strip().lower(), value.strip().lower()
        if key not in _SSH_SAFE_KEYS:
            return f"ssh -o {key} is not known to be harmless"
        if key in _SSH_FALSE_ONLY and value not in ("no", "false"):
            return f"ssh -o {key}={value} forwards local resources"
    if not inv.operands:
        return "ssh needs a destination"
    return None


SSH = prog(
    "-4 -6 -q -v -C -T -t -n -x -a -k -g -G -K -V -y -p= -l= -i=any -o= -J=host -b= -c= -m= "
    "-e= -Q= -B= -I= -P= "
    "!-A !-X !-Y !-N !-f !-M !-s !-F= !-E= !-L= !-R= !-D= !-W= !-w= !-S= !-O=",
    "host text*",
    style="posix",
    check=_ssh_check,
)

TABLE: dict[str, Program] = {
    "ip": IP, "bridge": BRIDGE, "ss": SS, "netstat": NETSTAT,
    "iptables": IPTABLES, "ip6tables": IPTABLES, "iptables-legacy": IPTABLES,
    "iptables-nft": IPTABLES, "iptables-save": IPTABLES_SAVE, "ip6tables-save": IPTABLES_SAVE,
    "iptables-legacy-save": IPTABLES_SAVE, "iptables-nft-save": IPTABLES_SAVE, "nft": NFT,
    "ping": PING, "ping6": PING, "traceroute": TRACEROUTE, "traceroute6": TRACEROUTE,
    "tracepath": TRACEPATH, "mtr": MTR, "dig": DIG, "nslookup": NSLOOKUP, "host": HOST,
    "arp": ARP, "ethtool": ETHTOOL, "nc": NC, "showmount": SHOWMOUNT,
    "curl": CURL, "wget": WGET, "ssh": SSH,
}  # fmt: skip
