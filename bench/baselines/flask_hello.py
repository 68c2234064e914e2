# The original app that hello-edge replaces, kept verbatim in spirit: a Flask "Hello World!".
# Used only as a benchmark baseline (npm run bench:hello), served by Debian's gunicorn.
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello World!"
