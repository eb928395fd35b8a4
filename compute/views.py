"""Compute pages: submit a job from the listing page, follow it, download its results (owner
only), and the creator's compute policy form."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from artifacts.serving import artifact_response
from compute import policies, selectors, services
from compute.models import ComputeEnvironment
from core.errors import ApiError
from core.pages import show_error
from listings import selectors as listing_selectors


@login_required
@require_safe
def job_list(request):
    jobs = selectors.job_list_for_owner(owner=request.user)[:200]
    return render(request, "compute/job_list.html", {"jobs": jobs})


@login_required
@require_safe
def job_detail(request, uuid):
    job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
    context = {
        "job": job,
        "outputs": selectors.job_outputs_released(job=job),
        "inputs": job.inputs.select_related("artifact"),
        "changes": job.status_changes.all(),
    }
    return render(request, "compute/job_detail.html", context)


@login_required
@require_safe
def job_receipt(request, uuid):
    """The receipt in plain words: what ran, where, for how long, with which digests; the page's
    script reads the attestation back from the chain and checks it against them."""
    job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
    inputs = list(job.inputs.select_related("artifact").order_by("mount", "path"))
    usage = getattr(job, "usage", None)
    expected = {
        "algorithm": "0x" + job.algorithm.sha256,
        "inputs": ["0x" + item.artifact.sha256 for item in inputs],
        "output": job.output_digest or "",
        "host": job.environment.name,
        "recipient": request.user.address,
    }
    context = {"job": job, "inputs": inputs, "usage": usage, "expected": expected}
    return render(request, "compute/receipt.html", context)


@login_required
@require_POST
def job_cancel(request, uuid):
    job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
    try:
        services.job_cancel(job=job, actor=request.user)
    except ApiError as exc:
        show_error(request, exc)
    return redirect("compute:job", uuid=job.uuid)


@login_required
@require_safe
def job_output(request, uuid, path):
    output = selectors.job_output_for_user(user=request.user, uuid=uuid, path=path)
    return artifact_response(request, output.artifact, filename=path.rsplit("/", 1)[-1])


@login_required
@require_safe
def job_manifest(request, uuid):
    job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
    if job.output_manifest is None or job.outputs_review in ("pending", "rejected"):
        return redirect("compute:job", uuid=job.uuid)
    return artifact_response(request, job.output_manifest, filename=f"job-{job.uuid}-manifest.tsv")


class SubmitForm(forms.Form):
    environment = forms.SlugField(max_length=60)
    algorithm_cid = forms.CharField(max_length=100, required=False)
    algorithm = forms.FileField(required=False)
    entry_point = forms.CharField(max_length=100, required=False)
    max_seconds = forms.IntegerField(min_value=1, required=False)


@login_required
@require_POST
def job_submit(request, slug):
    listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
    form = SubmitForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a host and a script to run.")
        return redirect("listings:detail", slug=listing.slug)
    values = form.cleaned_data
    try:
        job = services.job_submit(
            owner=request.user,
            listing=listing,
            request=services.JobRequest(
                environment=values["environment"],
                entry_point=values["entry_point"],
                algorithm_cid=values["algorithm_cid"],
                algorithm_file=values["algorithm"],
                inputs=tuple(request.FILES.getlist("inputs")),
                max_seconds=values["max_seconds"],
            ),
        )
    except ApiError as exc:
        show_error(request, exc)
        return redirect("listings:detail", slug=listing.slug)
    return redirect("compute:job", uuid=job.uuid)


class PolicyForm(forms.Form):
    environments = forms.ModelMultipleChoiceField(
        queryset=ComputeEnvironment.objects.all(),
        to_field_name="name",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    allow_raw_algorithms = forms.BooleanField(required=False)
    minutes_per_licence = forms.IntegerField(min_value=0, max_value=10_000_000)
    # Not required: a form posted without them keeps the policy's values.
    max_output_percent = forms.IntegerField(min_value=0, max_value=1000, required=False)
    review_outputs = forms.BooleanField(required=False)


class TrustedForm(forms.Form):
    name = forms.CharField(max_length=80)
    cid = forms.CharField(max_length=100)
    entry_point = forms.CharField(max_length=100)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def policy_edit(request, slug):
    listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
    policy = policies.policy_get_or_create(listing=listing)
    initial = {
        "environments": policy.environments.all(),
        "allow_raw_algorithms": policy.allow_raw_algorithms,
        "minutes_per_licence": policy.minutes_per_licence,
        "max_output_percent": policy.max_output_percent,
        "review_outputs": policy.review_outputs,
    }
    form, trusted = PolicyForm(initial=initial), TrustedForm()
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "add-algorithm":
            trusted = TrustedForm(request.POST)
        elif action == "save":
            form = PolicyForm(request.POST)
        try:
            if _policy_action(listing, action, form, trusted, request.POST):
                messages.success(request, "Compute policy saved.")
                return redirect("compute:policy", slug=listing.slug)
        except ApiError as exc:
            show_error(request, exc)
    context = {
        "listing": listing,
        "policy": policy,
        "form": form,
        "trusted_form": trusted,
        "raw_warning": policies.RAW_SCRIPTS_WARNING,
    }
    return render(request, "compute/policy.html", context)


def _policy_action(listing, action: str, form, trusted, data) -> bool:
    """Apply one of the page's forms; False when its input is invalid (errors shown)."""
    if action == "remove-algorithm":
        pk = data.get("pk", "")
        valid = pk.isascii() and pk.isdigit()  # "²".isdigit() too, but int("²") fails
        if valid:
            policies.trusted_algorithm_remove(listing=listing, pk=int(pk))
        return valid
    if action == "add-algorithm":
        if trusted.is_valid():
            policies.trusted_algorithm_add(listing=listing, **trusted.cleaned_data)
        return trusted.is_valid()
    if form.is_bound and form.is_valid():
        values = form.cleaned_data
        policies.policy_update(
            listing=listing,
            environments=[env.name for env in values["environments"]],
            allow_raw_algorithms=values["allow_raw_algorithms"],
            minutes_per_licence=values["minutes_per_licence"],
            max_output_percent=values.get("max_output_percent"),
            review_outputs=values.get("review_outputs"),
        )
        return True
    return False
