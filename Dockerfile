FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events events
COPY services services
COPY projections projections
COPY graphql graphql
RUN pip install --no-cache-dir . && apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/*
USER nobody
EXPOSE 8000
CMD ["carecoord", "api"]
