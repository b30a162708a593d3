from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from calls.errors import SpeechUnavailable
from calls.models import AudioPrompt
from calls.speech import rendered_speech
from calls.spoken import Spoken, spoken_path
from config.errors import error_body


@login_not_required  # The provider fetches prompts without an account.
@require_GET
def prompt_audio(request: HttpRequest, prompt_id: int) -> HttpResponseBase:
    prompt = get_object_or_404(AudioPrompt, pk=prompt_id)
    if not prompt.text:
        return FileResponse(prompt.audio.open("rb"), content_type="audio/wav")
    try:
        spoken = rendered_speech(prompt.text, prompt.voice)
    except SpeechUnavailable as exc:
        # The provider's play fails on this, and the call's timeline says so.
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    return FileResponse(spoken.open("rb"), content_type="audio/wav")


@login_not_required  # Fetched by the provider too, like the prompts.
@require_GET
def spoken_audio(request: HttpRequest, name: str) -> FileResponse:
    if name not in Spoken.__members__.values():
        raise Http404("No such spoken message.")
    return FileResponse(spoken_path(Spoken(name)).open("rb"), content_type="audio/wav")
