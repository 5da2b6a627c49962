// Passkeys (allauth.mfa WebAuthn): a failed or cancelled ceremony shows the page's own
// Vietnamese message instead of only logging to the console.
(function () {
  document.addEventListener('allauth.error', function (event) {
    const box = document.querySelector('[data-passkey-error]')
    if (box) {
      box.setAttribute('role', 'alert') // announced once shown; a hidden alert would confuse lookups
      box.hidden = false
      event.preventDefault()
    }
  })
})()
