from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from calls.models import AudioPrompt


@login_not_required  # The provider fetches prompts without an account.
@require_GET
def prompt_audio(request: HttpRequest, prompt_id: int) -> FileResponse:
    prompt = get_object_or_404(AudioPrompt, pk=prompt_id)
    return FileResponse(prompt.audio.open("rb"), content_type="audio/wav")
