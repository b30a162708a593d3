from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from calls.models import AudioPrompt
from calls.spoken import Spoken, spoken_path


@login_not_required  # The provider fetches prompts without an account.
@require_GET
def prompt_audio(request: HttpRequest, prompt_id: int) -> FileResponse:
    prompt = get_object_or_404(AudioPrompt, pk=prompt_id)
    return FileResponse(prompt.audio.open("rb"), content_type="audio/wav")


@login_not_required  # Fetched by the provider too, like the prompts.
@require_GET
def spoken_audio(request: HttpRequest, name: str) -> FileResponse:
    if name not in Spoken.__members__.values():
        raise Http404("No such spoken message.")
    return FileResponse(spoken_path(Spoken(name)).open("rb"), content_type="audio/wav")
