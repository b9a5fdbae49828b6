# Job sizes on a cluster: the `cluster` config section -> each rule's `threads:` and
# `resources:`. Config holds the sizes, partition and account; the profiles under
# workflow/profiles/ only pick the executor and its knobs (a profile cannot read config).
#
# A local run reads these too, but ignores every resource it is not given a limit for
# (`--resources`), so mem_mb, runtime, gpu and the slurm_* keys change nothing locally;
# threads are capped by --cores as usual.

# Keys of a rule's entry that are not Snakemake resources.
NON_RESOURCE_KEYS = {"threads"}
# Values that mean "not set" in the config (compared by value: 0 == False, so False too).
UNSET = ("", 0, None)


def cluster_job(rule):
    """The rule's entry in cluster.resources laid over cluster.resources.default."""
    sizes = config["cluster"]["resources"]
    return {**sizes.get("default", {}), **sizes.get(rule, {})}


def cluster_threads(rule):
    """CPUs of one job of the rule: its threads, which the SLURM plugin requests as
    --cpus-per-task, so the allocation and the program's thread count agree."""
    return cluster_job(rule).get("threads", 1)


def cluster_resources(rule):
    """Resources of one job of the given rule, for `resources: **cluster_resources(name)`.

    The section-wide partition and account come first so that a rule's own slurm_partition
    (a GPU partition for train) wins. Unset values ("" or 0) are dropped, not passed on: an
    empty slurm_account makes the SLURM plugin guess the account, an empty slurm_partition
    lets SLURM use its default, and the Kubernetes plugin treats any `gpu` key, even 0, as a
    GPU request.
    """
    cluster = config["cluster"]
    resources = {
        "slurm_partition": cluster["partition"],
        "slurm_account": cluster["account"],
    }
    resources.update(cluster_job(rule))
    return {
        key: value
        for key, value in resources.items()
        if key not in NON_RESOURCE_KEYS and value not in UNSET
    }
