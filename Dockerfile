# Python 3.11: the version the tests run (the project needs 3.11 or later).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events events
COPY services services
COPY projections projections
COPY graphql graphql
COPY bench bench
COPY examples examples
RUN pip install --no-cache-dir . && apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/*
# The relay appends the event chain's anchors here (a volume in docker-compose.yml).
RUN mkdir -p /anchors && chown nobody /anchors
USER nobody
EXPOSE 8000
CMD ["carecoord", "api"]
