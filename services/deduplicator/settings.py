from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from services.deduplicator.clustering import ClusteringSettings
from services.deduplicator.embeddings import EmbeddingsClient
from shared.settings import ServiceSettings

STORY_ARTICLE_OVERHEAD_BYTES = 8_000


class DeduplicatorSettings(ServiceSettings):
    http_port: int = Field(8002, ge=0, le=65535, description="Port of /metrics, /health, /ready.")
    story_threshold: float = Field(
        -0.03,
        ge=-1,
        le=1,
        description=(
            "Least average similarity of a story's articles, after each article's mean "
            "similarity to its nearest neighbours is taken off (tuned on the dev data)."
        ),
    )
    story_neighbours: int = Field(
        5, ge=1, le=50, description="Nearest articles that measure how generic an article is."
    )
    story_least_similarity: float = Field(
        0.1, ge=0, lt=1, description="TF-IDF similarity below which two articles are unrelated."
    )
    story_weekday_penalty: float = Field(
        0.1, ge=0, le=1, description="Taken off the similarity of articles naming other weekdays."
    )
    story_window_hours: float = Field(
        72, gt=0, description="How far apart two articles' times may be for them to be compared."
    )
    retention_hours: float = Field(
        144,
        gt=0,
        description=(
            "How long a story no article has changed stays in memory (by the articles' "
            "times); at least PRESSROOM_STORY_WINDOW_HOURS."
        ),
    )
    snapshot_every_entries: int = Field(
        2000,
        ge=10,
        description=(
            "Journal entries between two snapshots of the state: a restart reads the newest "
            "snapshot and at most about this many entries."
        ),
    )
    embeddings_url: str = Field(
        "",
        pattern=r"^(https?://.*)?$",
        description=(
            "OpenAI-compatible API base URL whose /embeddings the clusterer mixes into its "
            "similarity, e.g. http://127.0.0.1:8100/v1 (`pressroom embeddings-server`); "
            "empty: TF-IDF only."
        ),
    )
    embeddings_model: str = Field("bge-small-en-v1.5", min_length=1, description="Embedding model.")
    embeddings_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the embeddings endpoint (empty for local ones)."
    )
    embedding_weight: float = Field(
        0.5, ge=0, le=1, description="Share of the embeddings' cosine in the similarity."
    )
    copy_similarity: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Least shingle Jaccard similarity to count as a copy of another article.",
    )
    max_story_articles: int = Field(
        20, ge=1, le=50, description="Articles a stories.updated event carries at most."
    )
    max_article_chars: int = Field(
        6000, ge=200, le=50_000, description="Text kept per article in stories.updated."
    )

    @field_validator("retention_hours")
    @classmethod
    def _stories_outlast_the_window(cls, hours: float, info: ValidationInfo) -> float:
        window = info.data.get("story_window_hours")
        if window is not None and hours < window:
            raise ValueError(
                f"stories would leave memory ({hours} h) before the clusterer's window "
                f"(PRESSROOM_STORY_WINDOW_HOURS, {window} h) is past"
            )
        return hours

    @field_validator("max_article_chars")
    @classmethod
    def _stories_fit_in_an_event(cls, chars: int, info: ValidationInfo) -> int:
        # Up to 4 bytes a character, and room for each article's title, URLs and names.
        articles, limit = info.data.get("max_story_articles"), info.data.get("max_event_bytes")
        if articles and limit and articles * (chars * 4 + STORY_ARTICLE_OVERHEAD_BYTES) > limit:
            raise ValueError(
                f"{articles} articles (PRESSROOM_MAX_STORY_ARTICLES) of {chars} characters can "
                f"make a stories.updated event larger than PRESSROOM_MAX_EVENT_BYTES ({limit})"
            )
        return chars

    def clustering(self) -> ClusteringSettings:
        """What the story clusterer is told (the service and the eval alike)."""
        return ClusteringSettings(
            threshold=self.story_threshold,
            neighbours=self.story_neighbours,
            least_similarity=self.story_least_similarity,
            weekday_penalty=self.story_weekday_penalty,
            embedding_weight=self.embedding_weight,
            window=timedelta(hours=self.story_window_hours),
        )

    def embeddings_client(self) -> EmbeddingsClient | None:
        if not self.embeddings_url:
            return None
        return EmbeddingsClient(
            self.embeddings_url, self.embeddings_model, self.embeddings_api_key.get_secret_value()
        )
