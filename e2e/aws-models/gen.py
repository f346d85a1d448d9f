"""Writes e2e/aws-models from the installed botocore: its Connect, STS and
IAM service models without their documentation, gzipped (reproducibly),
and the botocore version they come from. Run it with a current botocore
after connectfed starts serving an operation or member newer than these:
python3 e2e/aws-models/gen.py"""
import gzip, json, os, botocore, botocore.loaders

out = os.path.dirname(os.path.abspath(__file__))
loader = botocore.loaders.Loader(include_default_search_paths=False, extra_search_paths=[botocore.loaders.Loader.BUILTIN_DATA_PATH])

def undocumented(d):
    d.pop("documentation", None)
    d.pop("documentationUrl", None)
    return d

for svc, ver in (("connect", "2017-08-08"), ("iam", "2010-05-08"), ("sts", "2011-06-15")):
    model = undocumented(loader.load_service_model(svc, "service-2", ver))
    for op in model["operations"].values():
        undocumented(op)
    for shape in model["shapes"].values():
        undocumented(shape)
        for m in list(shape.get("members", {}).values()) + [shape[k] for k in ("member", "key", "value") if k in shape]:
            undocumented(m)
    os.makedirs(os.path.join(out, svc, ver), exist_ok=True)
    with open(os.path.join(out, svc, ver, "service-2.json.gz"), "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=f, mtime=0) as z:
            z.write(json.dumps(model, indent=1).encode() + b"\n")
with open(os.path.join(out, "botocore-version"), "w") as f:
    f.write(botocore.__version__ + "\n")
