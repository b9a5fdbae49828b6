"""`halops discover`: a draft inventory from the hosts a user's sessions actually touched.

- `commands`: which hosts a shell command reaches (ssh, scp/rsync/sftp, ipmitool -H, URLs, ping)
- `scan`: every Bash command and WebFetch URL of the sessions, counted per host
- `draft`: the counts as an inventory draft with review comments
- `cli`: the command (`cli_main`)
"""
