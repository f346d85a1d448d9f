"""Sign requests with botocore and print them as JSON for botocore_test.go.

Reads nothing; prints a JSON list of {name, method, target, headers, body (base64)}
where target is the request-target exactly as sent (path?query) and headers
are the headers botocore would send (Host added from the URL).
"""
import base64
import json
import sys
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID, SECRET, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
TEMP_AKID, TEMP_SECRET = sys.argv[4], sys.argv[5]

long_creds = Credentials(AKID, SECRET)
temp_creds = Credentials(TEMP_AKID, TEMP_SECRET, TOKEN)

BASE = "http://connect.us-east-1.amazonaws.com"

cases = [
    # name, method, path?query, headers, body, creds, service, auth class
    ("federate %2F", "GET", "/user/federate/abc%2Fdef?x=1&y=a%20b", {}, b"", long_creds, "connect", SigV4Auth),
    ("json post with token", "POST", "/contact/chat", {"Content-Type": "application/json"},
     b'{"InstanceId":"i-1","ParticipantDetails":{"DisplayName":"J\xc3\xbcrgen"}}', temp_creds, "connect", SigV4Auth),
    ("empty and dot segments", "GET", "/a//b/./c/../d/", {}, b"", long_creds, "connect", SigV4Auth),
    ("tab in header value", "PUT", "/users/u-1", {"X-Custom": "a\tb  c", "Content-Type": "text/plain"}, b"hello",
     long_creds, "connect", SigV4Auth),
    ("Date header", "GET", "/user/federate/i-2", {"Date": "placeholder"}, b"", long_creds, "connect", SigV4Auth),
    ("unsigned payload", "POST", "/x", {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, b"body is not signed",
     long_creds, "connect", SigV4Auth),
    ("repeated and empty query", "GET", "/list?b=2&a=2&a=1&c=&d=%E6%97%A5%E6%9C%AC&e=%2F", {}, b"", temp_creds, "connect",
     SigV4Auth),
    ("unicode path", "GET", "/%E6%97%A5%E6%9C%AC/%C3%BC/a%3Ab", {}, b"", long_creds, "iam", SigV4Auth),
    ("sts form post", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
     b"Action=GetCallerIdentity&Version=2011-06-15", temp_creds, "sts", SigV4Auth),
    ("presigned", "GET", "/user/federate/abc%2Fdef?MaxResults=5", {}, b"", long_creds, "connect", SigV4QueryAuth),
    ("presigned with token", "GET", "/", {}, b"", temp_creds, "sts", SigV4QueryAuth),
]

out = []
for name, method, target, headers, body, creds, service, auth_cls in cases:
    req = AWSRequest(method=method, url=BASE + target, data=body, headers=dict(headers))
    if auth_cls is SigV4QueryAuth:
        auth_cls(creds, service, "us-east-1", expires=300).add_auth(req)
    else:
        auth_cls(creds, service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    parts = urlsplit(prepared.url)
    sent = parts.path + ("?" + parts.query if parts.query else "")
    hdrs = [[k, v] for k, v in prepared.headers.items()]
    if not any(k.lower() == "host" for k, _ in hdrs):
        hdrs.insert(0, ["Host", parts.netloc])
    data = prepared.body or b""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data and not any(k.lower() == "content-length" for k, _ in hdrs):
        hdrs.append(["Content-Length", str(len(data))])
    out.append({"name": name, "method": method, "target": sent, "headers": hdrs,
                "body": base64.b64encode(data).decode()})
json.dump(out, sys.stdout)
