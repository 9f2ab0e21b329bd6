"""The JSON API: /api/posts, /api/posts/{slug}, /api/categories, and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.site.pages import MAX_QUERY, NotFound, Site, page_number
from services.site.posts import search_filter
from shared.events import Category
from shared.posts import Post as StoredPost
from shared.posts import PostListing as StoredListing


class PostListing(StoredListing):
    """A post in a listing: the stored listing and its address."""

    url: str = Field(description="The post's page.")


class PostDetail(StoredPost):
    """One post: the stored post and its address."""

    url: str = Field(description="The post's page.")


class PostPage(BaseModel):
    posts: list[PostListing]
    page: int
    next_page: int | None


class CategoryCount(BaseModel):
    name: Category
    posts: int
    url: str


class ErrorBody(BaseModel):
    error: str


class Api:
    def __init__(self, site: Site) -> None:
        self.site = site

    def _url(self, post: StoredListing) -> str:
        return f"{self.site.settings.site_url}/story/{post.slug}"

    async def posts(self, request: Request) -> Response:
        where: dict[str, Any] = {}
        if category := request.query_params.get("category"):
            where["category"] = self.site._category(category)
        if source := request.query_params.get("source"):
            where["source_names"] = source[:200]
        if query := request.query_params.get("q", "")[:MAX_QUERY]:
            where.update(search_filter(query) or {})
        page = await self.site.reader.page(page_number(request), where)
        body = PostPage(
            posts=[PostListing(**p.model_dump(), url=self._url(p)) for p in page.posts],
            page=page.number,
            next_page=page.number + 1 if page.has_next else None,
        )
        return Response(body.model_dump_json(), media_type="application/json")

    async def post(self, request: Request) -> Response:
        post = await self.site.reader.by_slug(request.path_params["slug"][:120])
        if post is None:
            raise NotFound(request.path_params["slug"])
        detail = PostDetail(**post.model_dump(), url=self._url(post))
        return Response(detail.model_dump_json(), media_type="application/json")

    async def categories(self, request: Request) -> Response:
        counts = [
            CategoryCount(
                name=name, posts=n, url=f"{self.site.settings.site_url}/category/{name.lower()}"
            )
            for name, n in await self.site.reader.categories()
        ]
        return Response(
            "[" + ",".join(c.model_dump_json() for c in counts) + "]", media_type="application/json"
        )

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.site.settings.site_url))


def openapi_document(server: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the JSON API, its schemas from the response models."""
    schemas: dict[str, Any] = {}
    for model in (PostPage, PostDetail, CategoryCount, ErrorBody):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema

    def ok(ref: str, description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": ref}}},
        }

    not_found = ok("#/components/schemas/ErrorBody", "No such post or category.")
    page = {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pressroom API", "version": "1"},
        "servers": [{"url": server}],
        "paths": {
            "/api/posts": {
                "get": {
                    "summary": "Latest posts, newest first",
                    "parameters": [
                        page,
                        {"name": "category", "in": "query", "schema": {"type": "string"}},
                        {"name": "source", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": MAX_QUERY},
                        },
                    ],
                    "responses": {
                        "200": ok("#/components/schemas/PostPage", "A page of posts."),
                        "404": not_found,
                    },
                }
            },
            "/api/posts/{slug}": {
                "get": {
                    "summary": "One post with its key points, summary and sources",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": ok("#/components/schemas/PostDetail", "The post."),
                        "404": not_found,
                    },
                }
            },
            "/api/categories": {
                "get": {
                    "summary": "Categories that have posts",
                    "responses": {
                        "200": {
                            "description": "Each category with its post count.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/CategoryCount"},
                                    }
                                }
                            },
                        }
                    },
                }
            },
        },
        "components": {"schemas": schemas},
    }
