# rag_index: the runbooks under config/rag -> a persistent ChromaDB collection for the agent.


rule rag_index:
    input:
        # The folder is an input too: the script indexes it, and adding a file changes it.
        docs_dir=config["rag"]["docs_dir"],
        docs=rag_documents,
        code=code_inputs("rag_index.py"),
    output:
        db=directory(config["rag"]["db_dir"]),
        manifest="results/rag/index.json",
    log:
        "results/logs/rag_index.log",
    conda:
        "../../envs/rag_index.yaml"
    resources:
        **cluster_resources("rag_index"),
    params:
        collection=config["rag"]["collection"],
        max_chars=config["rag"]["max_passage_chars"],
    script:
        "../scripts/rag_index.py"
