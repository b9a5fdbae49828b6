"""Read-only forms of the everyday tools: files, text, processes, the machine itself.

Options are GNU coreutils/procps/util-linux unless said otherwise. Anything not listed here
(an option, an operand shape) makes the command not read-only, so a person approves it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.safety.options import Scanned
from bot.safety.programs.spec import Invocation, Program, prog

_COLOR = "--color|--colour=?one:auto,always,never,tty,if-tty,none,yes,no,force"

LS = prog(
    "-a|--all -A|--almost-all --author -b|--escape --block-size= -B|--ignore-backups -c -C "
    "-d|--directory -D|--dired -f -F|--classify=? --file-type --format= --full-time -g "
    "--group-directories-first -G|--no-group -h|--human-readable --si "
    "-H|--dereference-command-line --dereference-command-line-symlink-to-dir --hide= "
    "--hyperlink=? --indicator-style= -i|--inode -I|--ignore= -k|--kibibytes -l -L|--dereference "
    "-m -n|--numeric-uid-gid -N|--literal -o -p -q|--hide-control-chars --show-control-chars "
    "-Q|--quote-name --quoting-style= -r|--reverse -R|--recursive -s|--size -S --sort= --time= "
    "--time-style= -t -T|--tabsize= -u -U -v -w|--width= -x -X -Z|--context -1 --help --version "
    + _COLOR,
    "meta*",
)
CAT = prog(
    "-A|--show-all -b|--number-nonblank -e -E|--show-ends -n|--number -s|--squeeze-blank -t "
    "-T|--show-tabs -u -v|--show-nonprinting --help --version",
    "path*",
)
HEAD = prog(
    "-c|--bytes= -n|--lines= -q|--quiet|--silent -v|--verbose -z|--zero-terminated --help "
    "--version -#",
    "path*",
)
TAIL = prog(
    "-c|--bytes= -f|--follow=? -F -n|--lines= --max-unchanged-stats= --pid= -q|--quiet|--silent "
    "--retry -s|--sleep-interval= -v|--verbose -z|--zero-terminated --help --version -#",
    "path*",
)
WC = prog(
    "-c|--bytes -m|--chars -l|--lines -L|--max-line-length -w|--words --total= "
    "!--files0-from= --help --version",
    "path*",
)
SORT = prog(
    "-b|--ignore-leading-blanks -d|--dictionary-order -f|--ignore-case -g|--general-numeric-sort "
    "-i|--ignore-nonprinting -M|--month-sort -h|--human-numeric-sort -n|--numeric-sort "
    "-R|--random-sort --random-source=path -r|--reverse --sort= -V|--version-sort "
    "--batch-size= -c|--check=? -C -k|--key= -m|--merge -s|--stable -S|--buffer-size= "
    "-t|--field-separator= !-T|--temporary-directory= --parallel= -u|--unique "
    "-z|--zero-terminated --debug --help --version "
    "!-o|--output= !--compress-program= !--files0-from=",
    "path*",
)
UNIQ = prog(
    "-c|--count -d|--repeated -D --all-repeated=? -f|--skip-fields= --group=? -i|--ignore-case "
    "-s|--skip-chars= -u|--unique -z|--zero-terminated -w|--check-chars= --help --version",
    "path?",  # a second operand is an output file
)
CUT = prog(
    "-b|--bytes= -c|--characters= -d|--delimiter= -f|--fields= -n --complement -s|--only-delimited "
    "--output-delimiter= -z|--zero-terminated --help --version",
    "path*",
)
TR = prog(
    "-c|-C|--complement -d|--delete -s|--squeeze-repeats -t|--truncate-set1 --help --version",
    "text text?",
)
COLUMN = prog(
    "-t|--table -s|--separator= -o|--output-separator= -c|--output-width= -x|--fillrows "
    "-N|--table-columns= -R|--table-right= -H|--table-hide= -J|--json -n|--table-name= "
    "-l|--table-columns-limit= -d|--table-noheadings -e|--table-header-repeat -r|--tree= "
    "-i|--tree-id= -p|--tree-parent= -W|--table-wrap= -T|--table-truncate= -L|--keep-empty-lines "
    "-O|--table-order= -E|--table-noextreme= -C|--table-column= -h|--help -V|--version",
    "path*",
)
NL = prog(
    "-b|--body-numbering= -d|--section-delimiter= -f|--footer-numbering= -h|--header-numbering= "
    "-i|--line-increment= -l|--join-blank-lines= -n|--number-format= -p|--no-renumber "
    "-s|--number-separator= -v|--starting-line-number= -w|--number-width= --help --version",
    "path*",
)
DIFF = prog(
    "-q|--brief -s|--report-identical-files -c -C|--context=? -u -U|--unified=? -e|--ed "
    "-n|--rcs -y|--side-by-side -W|--width= --left-column --suppress-common-lines "
    "-p|--show-c-function -F|--show-function-line= --label= -t|--expand-tabs -T|--initial-tab "
    "--tabsize= --suppress-blank-empty -l|--paginate -r|--recursive --no-dereference "
    "-N|--new-file --unidirectional-new-file --ignore-file-name-case "
    "--no-ignore-file-name-case -x|--exclude= -X|--exclude-from=path -S|--starting-file= "
    "--from-file=path --to-file=path -i|--ignore-case -E|--ignore-tab-expansion "
    "-Z|--ignore-trailing-space -b|--ignore-space-change -w|--ignore-all-space "
    "-B|--ignore-blank-lines -I|--ignore-matching-lines= -a|--text --strip-trailing-cr "
    "-D|--ifdef= --line-format= --old-line-format= --new-line-format= --unchanged-line-format= "
    "--old-group-format= --new-group-format= --changed-group-format= --unchanged-group-format= "
    "-d|--minimal --horizon-lines= --speed-large-files --color=? --palette= -q --help -v|--version",
    "path*",
)
CMP = prog(
    "-b|--print-bytes -i|--ignore-initial= -l|--verbose -n|--bytes= -s|--quiet|--silent "
    "--help -v|--version",
    "path path? int? int?",
)
SUMS = prog(
    "-b|--binary -t|--text -z|--zero --tag --untagged -l|--length= --help --version "
    "!-c|--check --ignore-missing --quiet --status --strict -w|--warn",
    "path*",
)
STAT = prog(
    "-L|--dereference -f|--file-system -c|--format= --printf= -t|--terse --cached= --help "
    "--version",
    "meta+",
)
FILE = prog(
    "-b|--brief -i|--mime --mime-type --mime-encoding -L|--dereference -h|--no-dereference "
    "-z|--uncompress -Z|--uncompress-noreport -k|--keep-going -r|--raw -s|--special-files "
    "-E -0|--print0 -N|--no-pad -p|--preserve-date -e|--exclude= -F|--separator= --extension "
    "--apple -l|--list -S|--no-sandbox --help -v|--version "
    "!-C|--compile !-m|--magic-file= !-f|--files-from=",
    "path*",
)
DU = prog(
    "-0|--null -a|--all --apparent-size -B|--block-size= -b|--bytes -c|--total "
    "-D|--dereference-args -d|--max-depth= -H --inodes -h|--human-readable -k -L|--dereference "
    "-l|--count-links -m -P|--no-dereference -S|--separate-dirs --si -s|--summarize "
    "-t|--threshold= --time=? --time-style= -X|--exclude-from=path --exclude= "
    "-x|--one-file-system --help --version !--files0-from=",
    "meta*",
)
DF = prog(
    "-a|--all -B|--block-size= -h|--human-readable -H|--si -i|--inodes -k -l|--local "
    "--no-sync --output=? -P|--portability --sync --total -t|--type= -T|--print-type "
    "-x|--exclude-type= -v --help --version",
    "meta*",
)
FREE = prog(
    "-b|--bytes -k|--kibi -m|--mebi -g|--gibi --tebi --pebi --kilo --mega --giga --tera --peta "
    "-h|--human --si -l|--lohi -L|--line -t|--total -v|--committed -s|--seconds= "
    "-c|--count= -w|--wide --help -V|--version",
    "",
)
UPTIME = prog("-p|--pretty -s|--since -h|--help -V|--version", "")
UNAME = prog(
    "-a|--all -s|--kernel-name -n|--nodename -r|--kernel-release -v|--kernel-version "
    "-m|--machine -p|--processor -i|--hardware-platform -o|--operating-system --help --version",
    "",
)
ID = prog(
    "-a -Z|--context -g|--group -G|--groups -n|--name -r|--real -u|--user -z|--zero "
    "--help --version",
    "word?",
)
DATE = prog(
    "-d|--date= --debug -I|--iso-8601=? --resolution -R|--rfc-email --rfc-3339= "
    "-r|--reference=meta -u|--utc|--universal --help --version "
    "!-s|--set= !-f|--file=",
    lambda scanned: "word?",
    check=lambda inv: (
        None
        if all(o.startswith("+") for o in inv.operands)
        else "date with an operand other than +FORMAT sets the clock"
    ),
)
HOSTNAME = prog(
    "-a|--alias -A|--all-fqdns -d|--domain -f|--fqdn|--long -i|--ip-address "
    "-I|--all-ip-addresses -s|--short -y|--yp|--nis -h|--help -V|--version "
    "!-F|--file= !-b|--boot !-v|--verbose",
    "",
)
PRINTENV = prog("-0|--null --help --version", "word*")
ENV_ALONE = prog("-0|--null -i|--ignore-environment -u|--unset=", "")
WHICH = prog("-a -s --all --skip-alias --skip-functions --read-functions", "word+")
WHEREIS = prog("-b -m -s -u -l -B= -M= -S= -f", "word+")
BASENAME = prog("-a|--multiple -s|--suffix= -z|--zero --help --version", "text+")
DIRNAME = prog("-z|--zero --help --version", "text+")
REALPATH = prog(
    "-e|--canonicalize-existing -m|--canonicalize-missing -L|--logical -P|--physical "
    "-q|--quiet --relative-to= --relative-base= -s|--strip|--no-symlinks -z|--zero "
    "--help --version",
    "meta+",
)
READLINK = prog(
    "-f|--canonicalize -e|--canonicalize-existing -m|--canonicalize-missing -n|--no-newline "
    "-q|--quiet -s|--silent -v|--verbose -z|--zero --help --version",
    "meta+",
)
NPROC = prog("--all --ignore= --help --version", "")
SLEEP = prog("--help --version", "word+")
SEQ = prog("-f|--format= -s|--separator= -w|--equal-width --help --version -#", "text+")
TAC = prog("-b|--before -r|--regex -s|--separator= --help --version", "path*")
FOLD = prog("-b|--bytes -s|--spaces -w|--width= --help --version -#", "path*")
PASTE = prog("-d|--delimiters= -s|--serial -z|--zero-terminated --help --version", "path*")
COMM = prog(
    "-1 -2 -3 --check-order --nocheck-order --output-delimiter= --total -z|--zero-terminated "
    "--help --version",
    "path path",
)
JOIN = prog(
    "-a= -e= -i|--ignore-case -j= -o= -t= -v= -1= -2= --check-order --nocheck-order --header "
    "-z|--zero-terminated --help --version",
    "path path",
)
STRINGS = prog(
    "-a|--all -d|--data -f|--print-file-name -n|--bytes= -t|--radix= -o -e|--encoding= "
    "-w|--include-all-whitespace -s|--output-separator= -U|--unicode= -h|--help -v|--version -#",
    "path*",
)
OD = prog(
    "-A|--address-radix= -j|--skip-bytes= -N|--read-bytes= -S|--strings=? -t|--format= "
    "-v|--output-duplicates -w|--width=? --endian= -a -b -c -d -f -i -l -o -s -x --traditional "
    "--help --version",
    "path*",
)
HEXDUMP = prog(
    "-b -c -C -d -o -x -e= -f=path -n|--length= -s|--skip= -v|--no-squeezing -L|--color=? "
    "-h|--help -V|--version",
    "path*",
)
XXD = prog(
    "-a|-autoskip -b|-bits -C|-capitalize -c|-cols= -E|-EBCDIC -e -g|-groupsize= -i|-include "
    "-l|-len= -n|-name= -o|-offset= -p|-ps|-postscript|-plain -R= -s|-seek= -u -d -h|-help "
    "-v|-version !-r|-revert",
    "path?",  # a second operand is written
    style="ordered",
)
BASE64 = prog("-d|--decode -i|--ignore-garbage -w|--wrap= --help --version", "path?")
MD5 = SUMS


def _grep_operands(scanned: Scanned) -> str:
    """grep's operands: the pattern unless given by -e/-f, then files — whole trees under
    -r/-R (a credential anywhere below counts)."""
    recursive = scanned.has("-r", "-R") or "recurse" in scanned.values.get("-d", [])
    files = "tree*" if recursive else "path*"
    return files if scanned.has("-e", "-f") else f"text {files}"


GREP = prog(
    "-E|--extended-regexp -F|--fixed-strings -G|--basic-regexp -P|--perl-regexp "
    "-e|--regexp= -f|--file=path -i|-y|--ignore-case --no-ignore-case -v|--invert-match "
    "-w|--word-regexp -x|--line-regexp -c|--count " + _COLOR + " -L|--files-without-match "
    "-l|--files-with-matches -m|--max-count= -o|--only-matching -q|--quiet|--silent "
    "-s|--no-messages -b|--byte-offset -H|--with-filename -h|--no-filename --label= "
    "-n|--line-number -T|--initial-tab -Z|--null --line-buffered -U|--binary -z|--null-data "
    "-A|--after-context= -B|--before-context= -C|--context= -a|--text --binary-files= "
    "-D|--devices= -d|--directories= --exclude= --exclude-from=path --exclude-dir= "
    "--include= -r|--recursive -R|--dereference-recursive -V|--version --help -#",
    _grep_operands,
)

PS_BSD_ENV = re.compile(r"^[^-]*e")


def _ps_check(inv: Invocation) -> str | None:
    """procps `ps`: dashless words are BSD options; BSD `e` prints every process's
    environment (the bot's own holds its tokens)."""
    for word in inv.args:
        text = word.text
        if not text.startswith("-") and "e" in text and text.isalpha():
            return "secret: ps e prints the environment of processes"
        if text in ("--env",):
            return "secret: ps --env prints the environment of processes"
    return None


def _ps_accept_spec() -> Program:
    from bot.safety.options import OptionTable

    return Program(
        options=OptionTable.parse(
            "-A -a -d -e -g= -N|--deselect -T -r -x -C= -G|--Group= -p|--pid= -q|--quick-pid= "
            "-s|--sid= -t|--tty= -u|--user= -U|--User= -c -f -F -j -l -L -M -o|--format= -O= "
            "-y -Z -H|--forest --cols|--columns|--width= --cumulative --headers --no-headers "
            "--lines|--rows= --signames -m -n= -V|--version --help=? --sort= --ppid= -w "
            "--context --deselect"
        ),
        operands="text*",
        check=_ps_check,
        glob_operands=False,
    )


PGREP = prog(
    "-d|--delimiter= -l|--list-name -a|--list-full -v|--inverse -w|--lightweight -c|--count "
    "-f|--full -g|--pgroup= -G|--group= -i|--ignore-case -n|--newest -o|--oldest -O|--older= "
    "-P|--parent= -s|--session= -t|--terminal= -u|--euid= -U|--uid= -x|--exact -F|--pidfile=path "
    "-L|--logpidfile -r|--runstates= -A|--ignore-ancestors --cgroup= --ns= --nslist= -q|--queue= "
    "-h|--help -V|--version",
    "text?",
)
PSTREE = prog(
    "-a|--arguments -A|--ascii -c|--compact-not -C|--color= -g|--show-pgids -G|--vt100 "
    "-h|--highlight-all -H|--highlight-pid= -l|--long -n|--numeric-sort -N|--ns-sort= "
    "-p|--show-pids -s|--show-parents -S|--ns-changes -t|--thread-names -T|--hide-threads "
    "-u|--uid-changes -U|--unicode -V|--version -Z|--security-context",
    "word?",
)
TOP = prog(
    "-b -c -d= -e= -E= -H -i -n= -o= -O -p= -s -S -u= -U= -w=? -1 -h -v",
    "",
    check=lambda inv: None if inv.has("-b") else "top without -b is interactive",
)
VMSTAT = prog(
    "-a|--active -f|--forks -m|--slabs -n|--one-header -s|--stats -d|--disk -D|--disk-sum "
    "-p|--partition= -S|--unit= -t|--timestamp -w|--wide -y|--no-first -h|--help -V|--version",
    "int? int?",
)
IOSTAT = prog(
    "-c -d -h -k -m -N -s -t -V -x -y -z -H -g= -j= -o= -p=? --compact --dec= --human --pretty",
    "word*",
)
MPSTAT = prog("-A -H -I= -N= -n -o= -P= -T -u -V --dec=", "int? int?")
SAR = prog(
    "-A -B -b -C -d -F -H -h -I= -i= -j= -m= -n= -P= -p -q= -r= -S -s= -e= -t -u= -V -v -W -w "
    "-x -y -z -f=path --dec= --fs= --human --iface= --pretty",
    "int? int?",
)
PIDSTAT = prog(
    "-C= -d -G= -H -h -I -l -p= -R -r -s -T= -t -U=? -u -V -v -w --dec= --human", "int? int?"
)
W = prog(
    "-h|--no-header -u|--no-current -s|--short -f|--from -o|--old-style -i|--ip-addr -p|--pids",
    "word?",
)
WHO = prog(
    "-a|--all -b|--boot -d|--dead -H|--heading -l|--login --lookup -m -p|--process "
    "-q|--count -r|--runlevel -s|--short -t|--time -T|-w|--mesg -u|--users --help --version",
    "path?",
)
LAST = prog(
    "-a|--hostlast -d|--dns -F|--fulltimes -i|--ip -n|--limit= -R|--nohostname -s|--since= "
    "-t|--until= -p|--present= -w|--fullnames -x|--system --time-format= -f|--file=path -#",
    "word*",
)
LSBLK = prog(
    "-A|--noempty -a|--all -b|--bytes -D|--discard -d|--nodeps -E|--dedup= -e|--exclude= "
    "-f|--fs -H|--list-columns -I|--include= -i|--ascii -J|--json -l|--list -M|--merge "
    "-m|--perms -N|--nvme -n|--noheadings -o|--output= -O|--output-all -P|--pairs "
    "-p|--paths -r|--raw -S|--scsi -s|--inverse -T|--tree=? -t|--topology -v|--virtio "
    "-w|--width= -x|--sort= -y|--shell -z|--zoned --sysroot= -h|--help -V|--version",
    "meta*",
)
LSCPU = prog(
    "-a|--all -b|--online -B|--bytes -C|--caches=? -c|--offline -e|--extended=? -J|--json "
    "-p|--parse=? -s|--sysroot= -x|--hex -y|--physical --output-all -h|--help -V|--version",
    "",
)
LSMOD = prog("-h|--help -V|--version", "")
LSPCI = prog(
    "-m -t -v -vv -vvv -k -x -xxx -xxxx -b -D -P -PP -n -nn -q -qq -Q -s= -d= -i= -p= -A= -H= "
    "-F= -O= -G -M",
    "",
)
LSUSB = prog("-v|--verbose -s= -d= -D= -t|--tree -V|--version -h|--help", "")
LSOF = prog(
    "-? -a -b -c= -C -d= -D= -E -e= -f -F= -g=? -h -H -i=? -K=? -l -L=? -m= -M -n -N -o=? "
    "-O -p= -P -Q -r=? -R -s=? -S=? -t -T=? -u= -U -v -V -w -x=? -X -z=? -Z=? +c= +d=meta "
    "+D=meta +f +L +r=? +w",
    "meta*",
)
FINDMNT = prog(
    "-A|--all -b|--bytes -C|--nocanonicalize -c|--canonicalize -D|--df -d|--direction= "
    "-e|--evaluate -F|--tab-file=path -f|--first-only -I|--dfi -i|--invert -J|--json "
    "-k|--kernel=? -l|--list -M|--mountpoint= -m|--mtab -N|--task= -n|--noheadings "
    "-O|--options= -o|--output= --output-all -P|--pairs -p|--poll=? -R|--submounts "
    "-r|--raw --real --pseudo -S|--source= -s|--fstab -T|--target= -t|--types= "
    "-U|--uniq -u|--notruncate -v|--nofsroot -w|--timeout= -x|--verify --verbose "
    "-y|--shell --id= --uniq-id= -h|--help -V|--version",
    "meta*",
)
MOUNT_LIST = prog("-l|--show-labels -t|--types= -v|--verbose -h|--help -V|--version", "")
TREE = prog(
    "-a -d -l -f -x -L= -R -P= -I= --gitignore --ignore-case --matchdirs --metafirst --prune "
    "--info --infofile=path --noreport --charset= --filelimit= !-o= -q -N -Q -p -u -g -s -h "
    "--si --du -D --timefmt= -F --inodes --device -v -t -c -U -r --dirsfirst --filesfirst "
    "--sort= -i -A -S -n -C -X -J -H= -T= --nolinks --hintro= --houtro= --fromfile --version "
    "--help",
    "meta*",
)


def _no_plus(inv: Invocation) -> str | None:
    """`less +!cmd FILE`: an operand starting with + is a command for the pager."""
    plus = [o for o in inv.operands if o.startswith("+")]
    return f"{plus[0]} is a pager command" if plus else None


LESS = prog(
    "-N|--LINE-NUMBERS -n|--line-numbers -S|--chop-long-lines -R|--RAW-CONTROL-CHARS -r "
    "-i|--ignore-case -I|--IGNORE-CASE -F|--quit-if-one-screen -X|--no-init -E|--QUIT-AT-EOF "
    "-e|--quit-at-eof -s|--squeeze-blank-lines -M|--LONG-PROMPT -m|--long-prompt -f|--force "
    "-x|--tabs= -# -V|--version --help",
    "path*",
    check=_no_plus,
)
MORE = prog("-d -f -l -c -p -s -u -n= --help -V -#", "path*", check=lambda inv: _no_plus(inv))
ZCAT = prog(
    "-f|--force -q|--quiet -v|--verbose -l|--list -t|--test -h|--help -V|--version", "path*"
)
ZGREP = GREP
TEST = Program(any_args=True)
ECHO = Program(any_args=True)


def _awk_check(inv: Invocation) -> str | None:
    """An awk program can run commands (`system()`, `| getline`, `print | "cmd"`) and write
    files (`print > "f"`); only programs without those are read-only."""
    if inv.has("-f", "--file", "-i", "--include", "-l", "--load", "-E", "--exec"):
        return "awk reading its program or extensions from files"
    program = next(iter(inv.operands), "")
    if not program or inv.has("-e", "--source"):
        programs = inv.values("-e") + inv.values("--source")
    else:
        programs = [program]
    for text in programs:
        if re.search(
            r"\bsystem\s*\(|\|\s*&?|\bgetline\b|\bclose\s*\(|\bfflush\b|@load|ENVIRON|PROCINFO",
            text,
        ):
            return "awk program runs commands or reads beyond its input"
        if re.search(r"\bprintf?\b[^;{}]*>", text):
            return "awk program writes a file"
    return None


AWK = prog(
    "-F|--field-separator= -v|--assign= -f|--file=path -e|--source= -b|--characters-as-bytes "
    "-c|--traditional -C|--copyright -d|--dump-variables=? -D|--debug=? -E|--exec=path "
    "-g|--gen-pot -h|--help -i|--include=path -I|--trace -k|--csv -l|--load= -L|--lint=? "
    "-M|--bignum -N|--use-lc-numeric -n|--non-decimal-data -o|--pretty-print=? "
    "-O|--optimize -p|--profile=? -P|--posix -r|--re-interval -s|--no-optimize "
    "-S|--sandbox -t|--lint-old -V|--version",
    lambda scanned: "path*" if scanned.has("-f", "-e", "--source", "--file") else "text path*",
    check=_awk_check,
)

_SED_SAFE = re.compile(r"^[\s;]*$")


def _sed_check(inv: Invocation) -> str | None:
    """sed scripts may write (`w`, `W`), read other files (`r`, `R`) or run commands (`e`,
    `s///e`); a script made only of the printing/substituting commands is read-only."""
    if inv.has("-i", "--in-place", "-f", "--file"):
        return "sed -i edits files in place (or reads its script from a file)"
    scripts = inv.values("-e") + inv.values("--expression")
    if not scripts:
        scripts = list(inv.operands[:1])
    for script in scripts:
        reason = sed_script_problem(script)
        if reason:
            return reason
    return None


def sed_script_problem(script: str) -> str | None:
    """Walks a sed script command by command; None when every command only prints/edits
    the stream."""
    i, n = 0, len(script)
    while i < n:
        while i < n and script[i] in " \t\n;{}!":
            i += 1
        if i >= n:
            return None
        i = _skip_address(script, i)
        while i < n and script[i] in " \t!":
            i += 1
        if i >= n:
            return None
        cmd = script[i]
        i += 1
        if cmd in "pdDgGhHlnNqQxz=F":
            while i < n and script[i].isdigit():
                i += 1
            continue
        if cmd in ":btT":
            while i < n and script[i] not in ";\n}":
                i += 1
            continue
        if cmd in "aic":
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if cmd in "sy":
            if i >= n:
                return "incomplete sed command"
            delim = script[i]
            i = _skip_delimited(script, i + 1, delim, 2)
            flags_start = i
            while i < n and script[i] not in ";\n}":
                i += 1
            flags = script[flags_start:i].strip()
            if cmd == "s" and (set(flags) - set("gipIM0123456789m ")):
                return f"sed s flags {flags!r} write files or run commands"
            continue
        return f"sed command {cmd!r} writes, reads files or runs commands"
    return None


def _skip_address(script: str, i: int) -> int:
    n = len(script)
    for _ in range(2):
        if i < n and script[i] == "/":
            i = _skip_delimited(script, i + 1, "/", 1)
        elif i < n and script[i] == "\\" and i + 1 < n:
            i = _skip_delimited(script, i + 2, script[i + 1], 1)
        else:
            while i < n and (script[i].isdigit() or script[i] in "$~+"):
                i += 1
        if i < n and script[i] == "I":
            i += 1
        if i < n and script[i] == ",":
            i += 1
            continue
        break
    return i


def _skip_delimited(script: str, i: int, delim: str, parts: int) -> int:
    n = len(script)
    for _ in range(parts):
        while i < n and script[i] != delim:
            i += 2 if script[i] == "\\" else 1
        i += 1
    return i


SED = prog(
    "-n|--quiet|--silent --debug -e|--expression= -E|-r|--regexp-extended -l|--line-length= "
    "--posix -s|--separate -z|--null-data -u|--unbuffered --sandbox --help --version "
    "!-i|--in-place=? !-f|--file=",
    lambda scanned: "path*" if scanned.has("-e") else "text path*",
    check=_sed_check,
)
JQ = prog(
    "-c -r -j -a -n -e -s -S -C -M --tab --indent= !--arg= !--argjson= !--slurpfile= "
    "!--rawfile= !--argfile= "
    "--raw-output --compact-output --join-output --ascii-output --null-input --exit-status "
    "--slurp --sort-keys --color-output --monochrome-output --seq --stream --raw-input -R "
    "!-f|--from-file= !-L= "
    "--args --jsonargs -V|--version -h|--help",
    lambda scanned: "text path*",
)
NUMACTL = prog(
    "-H|--hardware -s|--show",
    "",
    check=lambda inv: None if inv.has("-H", "-s") else "numactl runs a command",
)
APT = prog(
    "-a|--all-versions --installed --upgradable --manual-installed -q|--quiet -h|--help "
    "-v|--version",
    subcommands={
        v: prog("", "word*")
        for v in ("list", "show", "policy", "search", "depends", "rdepends", "changelog")
    },
    bare=False,
)
_GETENT_DNS = frozenset({"hosts", "ahosts", "ahostsv4", "ahostsv6"})


def _getent_operands(scanned: Scanned) -> str:
    """`getent hosts NAME` asks DNS: the names are hosts (checked against the inventory)."""
    database = next((t for _, t in scanned.operands), "")
    return "word host*" if database in _GETENT_DNS else "word word*"


GETENT = prog(
    "-s|--service= -i|--no-idn -A|--no-addrconfig -h|--help -V|--version", _getent_operands
)
TAR_LIST = prog(
    "-t|--list -v|--verbose -f|--file=path -z|--gzip|--gunzip -j|--bzip2 -J|--xz --zstd "
    "-a|--auto-compress --numeric-owner --full-time -O|--to-stdout -x|--extract",
    "text*",
    check=lambda inv: (
        None if inv.has("-t") and not inv.has("-x") else "tar other than -t (list) writes files"
    ),
)
HISTORY = prog("-#", "int?")
MAN = prog(
    "-a|--all -f|--whatis -k|--apropos -K|--global-apropos -l|--local-file -w|--where|--path "
    "-W|--where-cat -s|--sections= -S= -L|--locale= -M|--manpath= -m|--systems= -t|--troff "
    "-7|--ascii -E|--encoding= --no-hyphenation --no-justification -Z|--ditroff "
    "!-C|--config-file= -d|--debug -D|--default -i|--ignore-case -I|--match-case "
    "--regex --wildcard --names-only -u|--update --no-subpages -e|--extension= "
    "-R|--recode= -h|--help -V|--version !-P|--pager= !-H|--html=? !-X|--gxditview=? "
    "!-T|--troff-device=? -r|--prompt=",
    lambda scanned: "path*" if scanned.has("-l") else "word*",
)
BASE_ANY = Program(any_args=True)

ULIMIT = prog("-a -H -S -c -d -e -f -i -l -m -n -p -q -r -s -t -u -v -x -P -T -R -b -k", "")
SYSCTL = prog(
    "-a|-A|-X|--all -b|--binary -e|--ignore -N|--names -n|--values -r|--pattern= -q|--quiet "
    "-h|--help -V|--version !-w|--write !-p|--load=? !--system",
    "word*",
    check=lambda inv: next((f"sysctl {o} sets a value" for o in inv.operands if "=" in o), None),
)
DPKG = prog(
    "-l|--list -s|--status -L|--listfiles -S|--search -p|--print-avail --get-selections "
    "--print-architecture --print-foreign-architectures -W|--show --showformat= -f= "
    "--version --help",
    "word*",
    check=lambda inv: (
        None
        if inv.has(
            "-l",
            "-s",
            "-L",
            "-S",
            "-p",
            "--get-selections",
            "-W",
            "--print-architecture",
            "--print-foreign-architectures",
            "--version",
            "--help",
        )
        else "dpkg without a query option changes packages"
    ),
)
APT_CACHE = Program(
    subcommands={
        name: prog("--installed --upgradable --all-versions -a -n --names-only -f --full", "word*")
        for name in (
            "policy",
            "show",
            "showpkg",
            "search",
            "depends",
            "rdepends",
            "madison",
            "stats",
            "pkgnames",
            "showsrc",
            "list",
        )
    },
    bare=False,
)
MODINFO = prog(
    "-a|--author -d|--description -l|--license -p|--parameters -n|--filename -0|--null "
    "-F|--field= -k= -b|--basedir= -V|--version -h|--help",
    "word+",
)

TABLE: dict[str, Program] = {
    "ls": LS, "dir": LS, "vdir": LS,
    "cat": CAT, "head": HEAD, "tail": TAIL, "wc": WC, "sort": SORT, "uniq": UNIQ,
    "cut": CUT, "tr": TR, "column": COLUMN, "nl": NL, "diff": DIFF, "cmp": CMP,
    "md5sum": SUMS, "sha1sum": SUMS, "sha256sum": SUMS, "sha512sum": SUMS, "b2sum": SUMS,
    "cksum": prog("--help --version", "path*"),
    "stat": STAT, "file": FILE, "du": DU, "df": DF, "free": FREE, "uptime": UPTIME,
    "uname": UNAME, "whoami": prog("--help --version", ""), "id": ID,
    "groups": prog("--help --version", "word*"), "date": DATE, "hostname": HOSTNAME,
    "printenv": PRINTENV, "which": WHICH, "whereis": WHEREIS, "basename": BASENAME,
    "dirname": DIRNAME, "realpath": REALPATH, "readlink": READLINK, "nproc": NPROC,
    "arch": prog("--help --version", ""), "tty": prog("-s|--silent|--quiet", ""),
    "pwd": prog("-L -P", ""), "sleep": SLEEP, "seq": SEQ, "tac": TAC, "fold": FOLD,
    "paste": PASTE, "comm": COMM, "join": JOIN, "strings": STRINGS, "od": OD,
    "hexdump": HEXDUMP, "xxd": XXD, "base64": BASE64, "base32": BASE64,
    "grep": GREP, "egrep": GREP, "fgrep": GREP, "zgrep": GREP, "zegrep": GREP,
    "zcat": ZCAT, "gzcat": ZCAT, "bzcat": ZCAT, "xzcat": ZCAT, "zstdcat": ZCAT,
    "ps": _ps_accept_spec(), "pgrep": PGREP, "pidof": prog("-s -c -q -w -x -o= -S= -n -z", "word+"),
    "pstree": PSTREE, "top": TOP, "vmstat": VMSTAT, "iostat": IOSTAT, "mpstat": MPSTAT,
    "sar": SAR, "pidstat": PIDSTAT, "w": W, "who": WHO, "last": LAST, "lastb": LAST,
    "lsblk": LSBLK, "lscpu": LSCPU, "lsmod": LSMOD, "lspci": LSPCI, "lsusb": LSUSB,
    "lsof": LSOF, "findmnt": FINDMNT, "tree": TREE, "less": LESS, "more": MORE,
    "awk": AWK, "gawk": AWK, "mawk": AWK, "sed": SED, "jq": JQ, "getent": GETENT,
    "tar": TAR_LIST, "man": MAN, "history": HISTORY, "ulimit": ULIMIT, "sysctl": SYSCTL,
    "dpkg": DPKG, "apt-cache": APT_CACHE, "modinfo": MODINFO,
    "echo": ECHO, "printf": Program(any_args=True), "true": BASE_ANY, "false": BASE_ANY,
    ":": BASE_ANY, "test": TEST, "[": TEST, "expr": BASE_ANY,
    "type": prog("-a -f -p -P -t", "word+"),
    "command": prog("-v -V -p", "word+", check=lambda inv: None if inv.has("-v", "-V")
                    else "command runs its operand"),
    "cd": prog("-L -P -e -@", "meta?"),
    "read": prog("-r -s -e -a= -d= -n= -N= -p= -t= -u= -i=", "word*"),
    "cal": prog("-1 -3 -y -Y -j -m -s -w -h -n= -S -v --color=?", "word*"),
    "ncal": prog("-1 -3 -y -j -m -s -w -h -b -M -S -C", "word*"),
    "lsb_release": prog(
        "-a|--all -i|--id -d|--description -r|--release -c|--codename -s|--short "
        "-v|--version -h|--help",
        "",
    ),
    "env": ENV_ALONE,
}  # fmt: skip

# --- find: an expression language of its own ---------------------------------------------------

# Tests and options that only select or print (argument count after each).
_FIND_READ = {
    **dict.fromkeys(
        [
            "-name",
            "-iname",
            "-path",
            "-ipath",
            "-wholename",
            "-iwholename",
            "-regex",
            "-iregex",
            "-type",
            "-xtype",
            "-size",
            "-mtime",
            "-mmin",
            "-atime",
            "-amin",
            "-ctime",
            "-cmin",
            "-newer",
            "-anewer",
            "-cnewer",
            "-user",
            "-group",
            "-uid",
            "-gid",
            "-perm",
            "-links",
            "-inum",
            "-samefile",
            "-fstype",
            "-lname",
            "-ilname",
            "-used",
            "-maxdepth",
            "-mindepth",
            "-regextype",
            "-printf",
            "-context",
            "-newermm",
            "-newerma",
            "-newermc",
            "-newerat",
            "-neweram",
            "-newerct",
            "-newercm",
        ],
        1,
    ),
    **dict.fromkeys(
        [
            "-empty",
            "-readable",
            "-writable",
            "-executable",
            "-nouser",
            "-nogroup",
            "-true",
            "-false",
            "-depth",
            "-xdev",
            "-mount",
            "-follow",
            "-noleaf",
            "-daystart",
            "-ignore_readdir_race",
            "-noignore_readdir_race",
            "-print",
            "-print0",
            "-ls",
            "-prune",
            "-quit",
            "(",
            ")",
            "!",
            "-not",
            "-and",
            "-a",
            "-or",
            "-o",
            ",",
            "-d",
            "-nowarn",
            "-warn",
        ],
        0,
    ),
}


_FIND_EXEC = frozenset({"-exec", "-execdir"})


def find_problem(args: Sequence[str]) -> str | None:
    """None when a find expression only selects, prints, or runs commands with -exec (each of
    which the policy judges on its own, with `{}` standing for the start paths); -delete,
    -fprint, -ok and the rest are not read-only."""
    i = 0
    while i < len(args) and (args[i] in ("-H", "-L", "-P") or re.fullmatch(r"-O\d", args[i])):
        i += 1
    if i < len(args) and args[i] == "-D":
        i += 2
    while i < len(args) and not args[i].startswith(("-", "(", "!", ",")):
        i += 1  # start paths
    while i < len(args):
        token = args[i]
        if token in _FIND_EXEC:
            end = next((j for j in range(i + 1, len(args)) if args[j] in (";", "+")), None)
            if end is None or end == i + 1:
                return f"find {token} without a command and its ; or +"
            i = end + 1
            continue
        count = _FIND_READ.get(token)
        if count is None:
            return f"find {token} is not known to be read-only"
        i += 1 + count
    return None


def _find_words(args: Sequence[str]) -> tuple[list[str], str | None]:
    return [], find_problem(args)


FIND = Program(raw=_find_words)
DMESG = prog(
    "-T|--ctime -H|--human -L|--color=? -k|--kernel -x|--decode -l|--level= -f|--facility= "
    "-t|--notime -d|--show-delta -e|--reltime -r|--raw -u|--userspace -w|--follow "
    "-W|--follow-new -S|--syslog --since= --until= --time-format= -s|--buffer-size= "
    "-F|--file=path -J|--json -P|--nopager -p|--force-prefix --noescape -h|--help -V|--version "
    "!-c|--read-clear !-C|--clear !-D|--console-off !-E|--console-on !-n|--console-level=",
    "",
)
TABLE.update({"find": FIND, "dmesg": DMESG, "numactl": NUMACTL, "apt": APT})
